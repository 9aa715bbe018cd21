import { describeMessageBusContract } from '../testing/message-bus.contract';
import { InProcessMessageBus } from './in-process-message-bus';

describeMessageBusContract('in-process', async () => new InProcessMessageBus());
