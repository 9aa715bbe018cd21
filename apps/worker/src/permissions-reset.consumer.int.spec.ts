import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from 'pino';
import { SqliteEventStore } from '@keyhold/event-store';
import { InProcessMessageBus, LIFECYCLE_HEADERS, LIFECYCLE_TOPIC } from '@keyhold/messaging';
import { SqliteReadModelStore } from '@keyhold/read-models';
import { PermissionsResetConsumer } from './permissions-reset.consumer';

describe('PermissionsResetConsumer', () => {
  it("tells the one event it acts on by the message's header, so that the other events' bodies are not decoded", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-permissions-reset-'));
    const events = new SqliteEventStore(join(dir, 'events.sqlite'));
    const readModels = new SqliteReadModelStore(join(dir, 'rm.sqlite'));
    const bus = new InProcessMessageBus();
    const warn = jest.fn();
    const consumer = new PermissionsResetConsumer(events, bus, readModels, { warn } as unknown as Logger);
    await consumer.onModuleInit();
    const accountId = randomUUID();
    const reset = { eventType: 'ClientSecretReset', eventId: randomUUID(), tenantId: randomUUID(), correlationId: randomUUID(), subject: { kind: 'service_account', id: accountId }, data: { generation: 2 } };

    await bus.publish(LIFECYCLE_TOPIC, [
      // A body that does not decode: were it decoded, the consumer would fail on it, and be redelivered it, forever.
      { key: randomUUID(), value: '{not decoded', headers: { [LIFECYCLE_HEADERS.eventType]: 'TokenIssued' } },
      { key: accountId, value: JSON.stringify(reset), headers: { [LIFECYCLE_HEADERS.eventType]: 'ClientSecretReset' } },
    ]);
    // The account does not exist, so the reset is refused: the sign that the message was handled.
    for (let waited = 0; warn.mock.calls.length === 0 && waited < 5000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));

    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ accountId, generation: 2 }), 'Permissions reset refused');
    await consumer.onModuleDestroy();
    await bus.close();
    await readModels.close();
    await events.close();
  });
});
