import { describeWithServer } from '../../../../test/support/real-server';
import { describeEventStoreContract } from '../testing/event-store.contract';
import { EventStoreDbEventStore } from './eventstoredb-event-store';

describeWithServer('EVENTSTORE_URL', 'EventStoreDB event store', (connectionString) =>
  describeEventStoreContract('EventStoreDB', async () => EventStoreDbEventStore.fromConnectionString(connectionString)),
);
