import { accept, assertNever, Decider, reject } from '../shared/decider';
import { Rejection } from '../shared/rejection';

/**
 * What became of a command received over Kafka. Kept in the log so that a redelivery can be
 * answered without running the command again; never holds a secret or its ciphertext.
 */
export type KafkaCommandOutcome =
  | { readonly status: 'accepted'; readonly resultingIds: Readonly<Record<string, string>> }
  | { readonly status: 'rejected'; readonly code: string; readonly reason: string };

/** The claim on a command id, appended before the command runs: at most one run per id. */
export type KafkaCommandReceived = {
  type: 'KafkaCommandReceived';
  data: { commandId: string; commandType: string; tenantId: string; serviceAccountId: string; receivedAt: string };
};
export type KafkaCommandCompleted = {
  type: 'KafkaCommandCompleted';
  data: { commandId: string; tenantId: string; outcome: KafkaCommandOutcome; completedAt: string };
};
export type KafkaCommandEvent = KafkaCommandReceived | KafkaCommandCompleted;

export type ReceiveKafkaCommand = {
  type: 'ReceiveKafkaCommand';
  commandId: string;
  commandType: string;
  tenantId: string;
  serviceAccountId: string;
  now: string;
};
export type CompleteKafkaCommand = { type: 'CompleteKafkaCommand'; outcome: KafkaCommandOutcome; now: string };
export type KafkaCommandCommand = ReceiveKafkaCommand | CompleteKafkaCommand;

export type KafkaCommandRejection = Rejection<'KafkaCommandAlreadyReceived' | 'KafkaCommandNotReceived'>;

type Claim = { readonly commandId: string; readonly commandType: string; readonly tenantId: string; readonly serviceAccountId: string };

export type KafkaCommandState =
  | { readonly status: 'none' }
  | (Claim & { readonly status: 'received' })
  | (Claim & { readonly status: 'completed'; readonly outcome: KafkaCommandOutcome });

const decide = (command: KafkaCommandCommand, state: KafkaCommandState) => {
  switch (command.type) {
    case 'ReceiveKafkaCommand': {
      if (state.status !== 'none') {
        return reject<KafkaCommandRejection>({ code: 'KafkaCommandAlreadyReceived', message: `Command ${command.commandId} was received before.` });
      }
      const { commandId, commandType, tenantId, serviceAccountId, now } = command;
      return accept<KafkaCommandEvent>({ type: 'KafkaCommandReceived', data: { commandId, commandType, tenantId, serviceAccountId, receivedAt: now } });
    }
    case 'CompleteKafkaCommand':
      if (state.status === 'none') {
        return reject<KafkaCommandRejection>({ code: 'KafkaCommandNotReceived', message: 'A command completes only after it was received.' });
      }
      // The first outcome stands: a command runs once, so it has one outcome.
      if (state.status === 'completed') return accept<KafkaCommandEvent>();
      return accept<KafkaCommandEvent>({
        type: 'KafkaCommandCompleted',
        data: { commandId: state.commandId, tenantId: state.tenantId, outcome: command.outcome, completedAt: command.now },
      });
    default:
      return assertNever(command);
  }
};

const evolve = (state: KafkaCommandState, event: KafkaCommandEvent): KafkaCommandState => {
  switch (event.type) {
    case 'KafkaCommandReceived': {
      const { commandId, commandType, tenantId, serviceAccountId } = event.data;
      return { status: 'received', commandId, commandType, tenantId, serviceAccountId };
    }
    case 'KafkaCommandCompleted':
      return state.status === 'none' ? state : { ...state, status: 'completed', outcome: event.data.outcome };
    default:
      return assertNever(event);
  }
};

export const kafkaCommandDecider: Decider<KafkaCommandState, KafkaCommandCommand, KafkaCommandEvent, KafkaCommandRejection> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};
