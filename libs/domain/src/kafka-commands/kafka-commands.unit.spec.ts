import { deciderSpec } from '../testing/decider-spec';
import { KafkaCommandEvent, kafkaCommandDecider, KafkaCommandOutcome } from './kafka-commands';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:00:01.000Z';
const claim = { commandId: 'command-1', commandType: 'service-account.reset-secret', tenantId: 'tenant-1', serviceAccountId: 'account-1' };
const ACCEPTED: KafkaCommandOutcome = { status: 'accepted', resultingIds: { serviceAccountId: 'account-2' } };
const REJECTED: KafkaCommandOutcome = { status: 'rejected', code: 'forbidden', reason: 'needs clients:write' };

const received: KafkaCommandEvent = { type: 'KafkaCommandReceived', data: { ...claim, receivedAt: T0 } };
const completed: KafkaCommandEvent = { type: 'KafkaCommandCompleted', data: { commandId: 'command-1', tenantId: 'tenant-1', outcome: ACCEPTED, completedAt: T1 } };

const spec = deciderSpec(kafkaCommandDecider);

describe('Kafka command decider', () => {
  it('claims a new command id', () => spec.given([]).when({ type: 'ReceiveKafkaCommand', ...claim, now: T0 }).then([received]));

  it('refuses a second claim on the same id, whether or not the first run finished', () => {
    spec.given([received]).when({ type: 'ReceiveKafkaCommand', ...claim, now: T1 }).thenRejects('KafkaCommandAlreadyReceived');
    spec.given([received, completed]).when({ type: 'ReceiveKafkaCommand', ...claim, now: T1 }).thenRejects('KafkaCommandAlreadyReceived');
  });

  it('records the outcome of a claimed command, accepted or rejected', () => {
    spec.given([received]).when({ type: 'CompleteKafkaCommand', outcome: ACCEPTED, now: T1 }).then([completed]);
    spec
      .given([received])
      .when({ type: 'CompleteKafkaCommand', outcome: REJECTED, now: T1 })
      .then([{ type: 'KafkaCommandCompleted', data: { commandId: 'command-1', tenantId: 'tenant-1', outcome: REJECTED, completedAt: T1 } }]);
  });

  it('keeps the first outcome: completing again changes nothing', () =>
    spec.given([received, completed]).when({ type: 'CompleteKafkaCommand', outcome: REJECTED, now: T1 }).thenNothing());

  it('refuses to complete a command that was never claimed', () =>
    spec.given([]).when({ type: 'CompleteKafkaCommand', outcome: ACCEPTED, now: T1 }).thenRejects('KafkaCommandNotReceived'));

  it('folds to the stored outcome, which a redelivery answers with', () => {
    const state = [received, completed].reduce(kafkaCommandDecider.evolve, kafkaCommandDecider.initialState());
    expect(state).toEqual({ status: 'completed', ...claim, outcome: ACCEPTED });
  });
});
