import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Logger } from 'pino';
import { answerFailure, ApplicationError, readState, RequestContext } from '@keyhold/application';
import {
  actingPermissions,
  Caller,
  KAFKA_COMMAND_EVENTS,
  kafkaCommandDecider,
  KafkaCommandOutcome,
  Permission,
  SERVICE_ACCOUNT_EVENTS,
  serviceAccountDecider,
  streamName,
} from '@keyhold/domain';
import { CommandContext, EVENT_STORE, EventStore, handleCommand } from '@keyhold/event-store';
import { MESSAGE_BUS, MessageBus } from '@keyhold/messaging';
import { ROOT_LOGGER } from '@keyhold/platform';
import { claimedSender, KafkaCommandEnvelope, verifySignature } from './command-envelope';
import { CommandRefused, RESULT_CODE_BY_FAILURE } from './command-refusal';
import { CommandRun, KAFKA_COMMAND_TYPES, KafkaCommandType } from './command-types';
import { KAFKA_COMMAND_TOPICS, KafkaCommandTopics } from './kafka-command-topics';
import { validMessagePart } from './message-validation';
import { encryptForReply, importReplyKey } from './reply-encryption';
import { Span, SpanKind } from '@opentelemetry/api';
import { CORRELATION_ID, traced } from '@keyhold/tracing';

/** How far a command's issuedAt may be from this node's clock, either way. */
const FRESHNESS_MS = 5 * 60_000;

export const COMMAND_RESULT_SCHEMA = 'keyhold.command-result/1';
export const DEAD_LETTER_SCHEMA = 'keyhold.command-dead-letter/1';

/** One message of the commands topic, as the Kafka server hands it over. */
export type CommandMessage = { readonly value: Buffer | null; readonly topic: string; readonly partition: number; readonly offset: string };

export type CommandResult = {
  readonly schema: typeof COMMAND_RESULT_SCHEMA;
  readonly commandId: string;
  readonly type: string | null;
  readonly status: 'accepted' | 'rejected' | 'outcome_unknown';
  /** True when the command id had been received before: nothing ran this time. */
  readonly redelivery: boolean;
  readonly resultingIds?: Readonly<Record<string, string>>;
  /** Compact JWE (ECDH-ES + A256GCM) to the command's replyKey: the only way a secret leaves. */
  readonly encryptedSecrets?: string;
  /** On a redelivery of a command that created secrets: they were sent once and are not sent again. */
  readonly secretsWithheld?: boolean;
  readonly error?: { readonly code: string; readonly reason: string };
};

/** A command that passed every check and may claim its id and run. */
type AdmittedCommand = {
  readonly envelope: KafkaCommandEnvelope;
  readonly commandType: KafkaCommandType<object>;
  readonly payload: object;
  readonly permissions: readonly Permission[];
  readonly replyKey: Awaited<ReturnType<typeof importReplyKey>> | null;
};

const outcomeFields = (outcome: KafkaCommandOutcome) =>
  outcome.status === 'accepted'
    ? { status: outcome.status, resultingIds: outcome.resultingIds }
    : { status: outcome.status, error: { code: outcome.code, reason: outcome.reason } };

/**
 * Runs commands that internal services publish to Kafka, through the same DTO rules, permissions
 * and use cases as REST. A command id runs at most once: it is claimed in the event log before
 * the command runs, and the outcome is recorded next to the claim. Messages that cannot be run go
 * to the dead-letter topic and the consumer moves on; only a failure to reach the log or Kafka
 * itself escapes, so that Kafka delivers the message again.
 */
@Injectable()
export class KafkaCommandConsumer {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(KAFKA_COMMAND_TOPICS) private readonly topics: KafkaCommandTopics,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    private readonly commands: CommandBus,
  ) {}

  handle(message: CommandMessage): Promise<void> {
    return traced('kafka command', { 'messaging.destination.name': this.topics.commands }, (span) => this.handleTraced(message, span), SpanKind.CONSUMER);
  }

  private async handleTraced(message: CommandMessage, span: Span): Promise<void> {
    const receivedAt = new Date();
    let admitted: AdmittedCommand;
    try {
      admitted = await this.admit(message.value, receivedAt);
    } catch (error) {
      if (!(error instanceof CommandRefused)) throw error;
      await this.deadLetter(message, error, receivedAt);
      span.setAttributes({ 'keyhold.command_status': 'dead-lettered', 'keyhold.command_error': error.code });
      return;
    }
    // The command id is the correlation id of everything the command records.
    span.setAttributes({ [CORRELATION_ID]: admitted.envelope.commandId, 'keyhold.command_type': admitted.envelope.type });
    const result = await this.runOnce(admitted, receivedAt);
    // What the results topic was told, without the secrets: status, redelivery and the error code.
    span.setAttributes({ 'keyhold.command_status': result.status, 'keyhold.command_redelivery': result.redelivery, ...(result.error ? { 'keyhold.command_error': result.error.code } : {}) });
  }

  /** Authenticates the sender, then validates the envelope, the type, the payload and the reply key. */
  private async admit(value: Buffer | null, now: Date): Promise<AdmittedCommand> {
    const sender = claimedSender(value);
    const { state: account } = await readState(this.events, streamName('serviceAccount', sender.serviceAccountId), serviceAccountDecider, SERVICE_ACCOUNT_EVENTS);
    if (account.status === 'none' || account.tenantId !== sender.tenantId || !account.commandSigningKey) {
      throw new CommandRefused('unauthenticated', 'No service account of this tenant with a command-signing key has this serviceAccountId.', sender.commandId);
    }
    // The signed payload is the very segment the sender was read from, so it names the same sender.
    const signed = await verifySignature(sender, account.commandSigningKey.publicKey);
    const envelope = await validMessagePart(KafkaCommandEnvelope, signed, { code: 'invalid-envelope', part: 'envelope', commandId: sender.commandId });
    if (Math.abs(Date.parse(envelope.issuedAt) - now.getTime()) > FRESHNESS_MS) {
      throw new CommandRefused('stale', 'issuedAt is more than 5 minutes away from the time the command was received.', envelope.commandId);
    }
    const permissions = actingPermissions(account, now.toISOString());
    if (permissions === null) throw new CommandRefused('unauthenticated', 'The service account is deleted or past its sunset.', envelope.commandId);
    if (!Object.hasOwn(KAFKA_COMMAND_TYPES, envelope.type)) {
      throw new CommandRefused('unknown-type', `Unknown command type; supported: ${Object.keys(KAFKA_COMMAND_TYPES).join(', ')}.`, envelope.commandId);
    }
    const commandType = KAFKA_COMMAND_TYPES[envelope.type];
    const payload = await validMessagePart(commandType.payload, envelope.payload, { code: 'validation-error', part: 'payload', commandId: envelope.commandId });
    const replyKey = commandType.createsSecret ? await importReplyKey(envelope.replyKey, envelope.commandId) : null;
    return { envelope, commandType, payload, permissions, replyKey };
  }

  private async runOnce(admitted: AdmittedCommand, receivedAt: Date): Promise<CommandResult> {
    const { envelope } = admitted;
    const stream = streamName('kafkaCommand', envelope.commandId);
    // The command id ties every event of the run together, as a request id does for REST.
    const caller: Caller = { kind: 'service_account', permissions: new Set(admitted.permissions) };
    const requestContext: RequestContext = { actorId: envelope.serviceAccountId, correlationId: envelope.commandId, causationId: envelope.commandId, caller };
    const context: CommandContext = { ...requestContext, tenantId: envelope.tenantId, now: receivedAt.toISOString() };
    const { commandId, type, tenantId, serviceAccountId } = envelope;
    const claim = await handleCommand(this.events, stream, kafkaCommandDecider, { type: 'ReceiveKafkaCommand', commandId, commandType: type, tenantId, serviceAccountId, now: context.now }, context);
    if (claim.outcome === 'rejected') return this.answerRedelivery(admitted, stream);

    const { outcome, secrets } = await this.execute(admitted, requestContext);
    const encryptedSecrets = secrets && admitted.replyKey ? await encryptForReply(secrets, admitted.replyKey) : undefined;
    const completedAt = new Date().toISOString();
    await handleCommand(this.events, stream, kafkaCommandDecider, { type: 'CompleteKafkaCommand', outcome, now: completedAt }, { ...context, now: completedAt });
    return this.publishResult({ schema: COMMAND_RESULT_SCHEMA, commandId, type, ...outcomeFields(outcome), redelivery: false, ...(encryptedSecrets ? { encryptedSecrets } : {}) });
  }

  /** Runs as the service account, with the permission the REST endpoint demands. */
  private async execute(admitted: AdmittedCommand, context: RequestContext): Promise<{ outcome: KafkaCommandOutcome; secrets: CommandRun['secrets'] }> {
    const { envelope, commandType } = admitted;
    try {
      if (!admitted.permissions.includes(commandType.permission)) {
        throw ApplicationError.forbidden(`This command needs '${commandType.permission}', which the service account does not hold.`);
      }
      const run = await commandType.run(this.commands, envelope.tenantId, admitted.payload, context);
      return { outcome: { status: 'accepted', resultingIds: run.resultingIds }, secrets: run.secrets };
    } catch (error) {
      if (error instanceof ApplicationError) return { outcome: { status: 'rejected', code: answerFailure(RESULT_CODE_BY_FAILURE, error.failure), reason: error.message }, secrets: null };
      this.logger.error({ err: error, commandId: envelope.commandId, commandType: envelope.type }, 'Kafka command failed');
      const reason = 'The command failed unexpectedly and is not retried; whether it took effect is unknown. Check, then send a new command.';
      return { outcome: { status: 'rejected', code: 'internal-error', reason }, secrets: null };
    }
  }

  /** The id was claimed before: answer with what is known of that run, to its own sender only. */
  private async answerRedelivery(admitted: AdmittedCommand, stream: string): Promise<CommandResult> {
    const { commandId, type, tenantId, serviceAccountId } = admitted.envelope;
    const { state } = await readState(this.events, stream, kafkaCommandDecider, KAFKA_COMMAND_EVENTS);
    const base = { schema: COMMAND_RESULT_SCHEMA, commandId, type, redelivery: true } as const;
    if (state.status === 'none' || state.tenantId !== tenantId || state.serviceAccountId !== serviceAccountId) {
      return this.publishResult({ ...base, status: 'rejected', error: { code: 'command-id-reused', reason: 'This command id was used by another sender.' } });
    }
    if (state.status === 'received') {
      // Claimed, but the run never recorded an outcome (the node stopped mid-way): at most once, so it is not run again.
      const reason = 'The command was received before but its outcome was not recorded; it is not run again.';
      return this.publishResult({ ...base, status: 'outcome_unknown', error: { code: 'outcome-unknown', reason } });
    }
    const withheld = state.outcome.status === 'accepted' && admitted.commandType.createsSecret;
    return this.publishResult({ ...base, ...outcomeFields(state.outcome), ...(withheld ? { secretsWithheld: true } : {}) });
  }

  private async deadLetter(message: CommandMessage, refusal: CommandRefused, receivedAt: Date): Promise<void> {
    this.logger.warn({ code: refusal.code, commandId: refusal.commandId, partition: message.partition, offset: message.offset }, 'Kafka command refused');
    // The original is kept for whoever inspects dead letters: command payloads carry ids, never secrets.
    const deadLetter = {
      schema: DEAD_LETTER_SCHEMA,
      code: refusal.code,
      reason: refusal.reason,
      commandId: refusal.commandId,
      original: message.value?.toString('utf8') ?? null,
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      receivedAt: receivedAt.toISOString(),
    };
    await this.bus.publish(this.topics.deadLetters, [
      { key: refusal.commandId ?? `${message.partition}-${message.offset}`, value: JSON.stringify(deadLetter), headers: { 'keyhold-dead-letter-code': refusal.code } },
    ]);
    if (refusal.commandId) {
      await this.publishResult({ schema: COMMAND_RESULT_SCHEMA, commandId: refusal.commandId, type: null, status: 'rejected', redelivery: false, error: { code: refusal.code, reason: refusal.reason } });
    }
  }

  /** Publishes the result and hands it back, for the span. */
  private async publishResult(result: CommandResult): Promise<CommandResult> {
    await this.bus.publish(this.topics.results, [
      { key: result.commandId, value: JSON.stringify(result), headers: { 'keyhold-command-id': result.commandId, 'keyhold-command-status': result.status } },
    ]);
    return result;
  }
}
