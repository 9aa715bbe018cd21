import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Logger } from 'pino';
import { apiClientDecider, hasExpired, streamName } from '@keyhold/domain';
import { EVENT_STORE, EventStore, handleCommand } from '@keyhold/event-store';
import { ROOT_LOGGER } from '@keyhold/platform';
import { ACCESS_TOKEN_REVOCATIONS, AccessTokenRevocationView, CLIENT_SECRETS, ClientSecretView, READ_MODEL_STORE, ReadModelStore } from '@keyhold/read-models';

const EVERY_MS = 30_000;
const PAGE = 100;
const ACTOR = 'system:secret-expiry';

/**
 * Records ClientSecretExpired for every API-client secret past its expiry. Authentication
 * already refuses a secret from its expiry instant (the credential index compares times), so
 * this job only puts the expiry on the record, for auditors and the read models; it runs every
 * 30 s and once at start. ExpireClientSecret is idempotent, so several workers running it, or
 * a run repeated after a crash, record each expiry once.
 *
 * Each pass also removes the revocations of access tokens past their expiry from
 * `access_token_revocations`: an expired token is refused for its expiry alone, so its revocation
 * denies nothing more (each node's deny set drops it then too), and the collection would
 * otherwise keep one document per revoked token forever. The removal is one conditional delete,
 * so several workers running it remove each one once and never one whose token is still live.
 */
@Injectable()
export class SecretExpiryJob implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    void this.run();
    this.timer = setInterval(() => void this.run(), EVERY_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass, never two at once; failures are logged and retried at the next pass. */
  private async run(): Promise<void> {
    if (this.running) return;
    const now = new Date();
    const retried = (message: string) => (error: unknown) => this.logger.warn({ err: error }, message);
    this.running = Promise.all([
      this.expireDue(now).catch(retried('Client secret expiry failed; will retry')),
      this.pruneRevocations(now).catch(retried('Pruning expired access-token revocations failed; will retry')),
    ]);
    try {
      await this.running;
    } finally {
      this.running = null;
    }
  }

  /** Records the expiry of every active secret whose expiry is at or before `now`; answers how many it recorded. */
  async expireDue(now: Date): Promise<number> {
    const at = now.toISOString();
    const secrets = this.readModels.collection<ClientSecretView>(CLIENT_SECRETS);
    let recorded = 0;
    let cursor: string | null = null;
    for (;;) {
      const page = await secrets.list({ where: { status: 'active' }, orderBy: 'expiresAt', direction: 'asc', limit: PAGE, cursor });
      const due = page.items.filter((secret) => hasExpired(secret.expiresAt, at));
      for (const secret of due) recorded += await this.expire(secret, at);
      if (due.length < page.items.length || page.nextCursor === null) return recorded;
      cursor = page.nextCursor;
    }
  }

  /** Removes the revocations of access tokens that expired before `now`; answers how many. */
  async pruneRevocations(now: Date): Promise<number> {
    const removed = await this.readModels.collection<AccessTokenRevocationView>(ACCESS_TOKEN_REVOCATIONS).removeBefore('expiresAt', now.toISOString());
    if (removed > 0) this.logger.info({ removed }, 'Revocations of expired access tokens removed');
    return removed;
  }

  private async expire(secret: ClientSecretView, now: string): Promise<number> {
    const correlationId = `secret-expiry-${secret.id}`;
    const result = await handleCommand(
      this.events,
      streamName('apiClient', secret.clientId),
      apiClientDecider,
      { type: 'ExpireClientSecret', tenantId: secret.tenantId, secretId: secret.id, now },
      { tenantId: secret.tenantId, actorId: ACTOR, correlationId, causationId: correlationId, now },
    );
    if (result.outcome === 'rejected') {
      // Not retryable as such: the read model names a secret or client the log does not know.
      this.logger.warn({ clientId: secret.clientId, secretId: secret.id, rejection: result.rejection.code }, 'Client secret expiry refused');
      return 0;
    }
    if (result.events.length > 0) this.logger.info({ clientId: secret.clientId, secretId: secret.id }, 'Client secret expired');
    return result.events.length;
  }
}
