import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Logger } from 'pino';
import { serviceAccountDecider, streamName } from '@keyhold/domain';
import { EVENT_STORE, EventStore, handleCommand } from '@keyhold/event-store';
import { BusSubscription, LIFECYCLE_HEADERS, LIFECYCLE_TOPIC, LifecycleMessage, MESSAGE_BUS, MessageBus, ReceivedMessage } from '@keyhold/messaging';
import { ROOT_LOGGER } from '@keyhold/platform';
import { READ_MODEL_STORE, ReadModelStore, SERVICE_ACCOUNTS, ServiceAccountView } from '@keyhold/read-models';

const GROUP_ID = 'keyhold-service-account-permissions-reset';
const RECONCILE_EVERY_MS = 30_000;
const ACTOR = 'system:permissions-reset';

/**
 * Resetting a service account's secret resets its permissions and project memberships, as the
 * product this comes from does. The reset event only bumps a generation (from which moment the
 * account acts with no rights); this consumer then issues the command that records the reset,
 * idempotently: a redelivered message, or a reset already recorded, changes nothing.
 *
 * The bus delivers at least once but the in-process bus forgets on a crash, so a reconciler
 * also looks for accounts still waiting for their reset and issues the same command.
 */
@Injectable()
export class PermissionsResetConsumer implements OnModuleInit, OnModuleDestroy {
  private subscription: BusSubscription | null = null;
  private reconciler: NodeJS.Timeout | null = null;

  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      topic: LIFECYCLE_TOPIC,
      groupId: GROUP_ID,
      fromBeginning: true,
      onMessage: (message) => this.onMessage(message),
    });
    this.reconciler = setInterval(() => void this.reconcile(), RECONCILE_EVERY_MS);
    this.reconciler.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.reconciler) clearInterval(this.reconciler);
    await this.subscription?.close();
  }

  /**
   * Every lifecycle event comes here and one kind in thousands matters: the header names it, so
   * the others' bodies are not decoded (a restored log's relay republishes the whole log, through
   * this consumer on the serving thread). A message without the header is decoded to tell.
   */
  private async onMessage(received: ReceivedMessage): Promise<void> {
    const eventType = received.headers[LIFECYCLE_HEADERS.eventType];
    if (eventType !== undefined && eventType !== 'ClientSecretReset') return;
    const message = JSON.parse(received.value) as LifecycleMessage;
    if (message.eventType !== 'ClientSecretReset') return;
    await this.resetPermissions(message.tenantId, message.subject.id, Number(message.data.generation), message.correlationId, message.eventId);
  }

  /** Accounts whose reset message may have been lost; safe to run any time. */
  async reconcile(): Promise<void> {
    try {
      const waiting = await this.readModels.collection<ServiceAccountView>(SERVICE_ACCOUNTS).list({
        where: { permissionsResetPending: true },
        orderBy: 'createdAt',
        direction: 'asc',
        limit: 100,
      });
      for (const account of waiting.items) {
        await this.resetPermissions(account.tenantId, account.id, account.secretGeneration, `reconcile-${account.id}`, `reconcile-${account.id}`);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'Permissions reset reconciliation failed; will retry');
    }
  }

  private async resetPermissions(tenantId: string, accountId: string, generation: number, correlationId: string, causationId: string) {
    const now = new Date().toISOString();
    const result = await handleCommand(
      this.events,
      streamName('serviceAccount', accountId),
      serviceAccountDecider,
      { type: 'ResetServiceAccountPermissions', tenantId, generation, now },
      { tenantId, actorId: ACTOR, correlationId, causationId, now },
    );
    if (result.outcome === 'rejected') {
      // Not retryable: the account is gone or the message names a reset that never happened.
      this.logger.warn({ accountId, generation, rejection: result.rejection.code }, 'Permissions reset refused');
    }
  }
}
