import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Logger } from 'pino';
import { parseSecret, SecretHasher, SecretKind } from '@keyhold/crypto';
import { EVENT_STORE, EventStore, GlobalPosition, RecordedEvent } from '@keyhold/event-store';
import { KEYHOLD_CONFIG, KeyholdConfig, KeyholdMetrics, ProjectionsService, ROOT_LOGGER } from '@keyhold/platform';
import { IN_MEMORY_CHECKPOINTS, Projection, ProjectionRunner } from '@keyhold/read-models';
import { ApplicationError } from '@keyhold/application';
import { CREDENTIAL_KIND_INDEXES, CredentialKindIndex } from './credential-kind-index';
import { EarlyDenials } from './early-denials';
import { Principal } from './principal';
import { ReadModelConfirmation } from './read-model-confirmation';
import { RevocationFeed } from './revocation-feed';

const LOG_PROGRESS_EVERY_MS = 5000;
/** How long a revocation waits, beyond read-your-writes, for this node to enforce it. */
const ENFORCEMENT_WAIT_MS = 3000;
/**
 * How long a lookup that missed waits for the index to reach the head of the log, when another
 * process (the CLI, another node) appended what it has not read yet: its poll interval is 200 ms
 * on SQLite, so this bound is only met when the node is far behind.
 */
const CATCH_UP_ON_MISS_MS = 1000;

/** How a verification ended, as counted in keyhold_verifications_total; `_stale` while the revocation feed is silent. */
type VerificationOutcome = 'accepted' | 'rejected' | 'accepted_stale' | 'rejected_stale' | 'refused_stale';

/** One verification's result, not yet counted (see `check`). */
export type Verification = { readonly principal: Principal | null; readonly kind: SecretKind | null; readonly outcome: VerificationOutcome };

/**
 * This node's credential index: every kind's index, fed by one subscription to the log and
 * consulted without I/O. The node only starts answering once the index has caught up with the
 * log as it was at start, so a restart never rejects valid credentials, nor accepts revoked
 * ones, while it warms up. Revocations heard on the lifecycle topic are denied before the log
 * brings them (EarlyDenials); while that topic is silent past its bound, the index's answers
 * are confirmed in the read model or refused (STALE_VERIFICATION).
 */
@Injectable()
export class CredentialIndexService implements OnModuleInit, Projection {
  readonly name = 'credential-index';
  private readonly byKind: ReadonlyMap<SecretKind, CredentialKindIndex>;
  private runner: ProjectionRunner | null = null;
  /** One read of the log's head shared by every lookup that misses meanwhile. */
  private headRead: Promise<GlobalPosition | null> | null = null;

  constructor(
    private readonly hasher: SecretHasher,
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly projections: ProjectionsService,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    @Inject(CREDENTIAL_KIND_INDEXES) private readonly indexes: CredentialKindIndex[],
    @Inject(KEYHOLD_CONFIG) private readonly config: KeyholdConfig,
    private readonly denials: EarlyDenials,
    private readonly feed: RevocationFeed,
    private readonly readModel: ReadModelConfirmation,
    private readonly metrics: KeyholdMetrics,
  ) {
    this.byKind = new Map(indexes.map((index) => [index.kind, index]));
  }

  async onModuleInit(): Promise<void> {
    const head = await this.events.headPosition();
    const started = Date.now();
    const runner = await this.projections.run(this, IN_MEMORY_CHECKPOINTS);
    this.runner = runner;
    if (head === null) return;
    while (!(await runner.waitFor(head, LOG_PROGRESS_EVERY_MS))) {
      this.logger.info({ credentials: this.size(), position: runner.status().position, head }, 'Loading credential index');
    }
    this.logger.info({ credentials: this.size(), ms: Date.now() - started }, 'Credential index loaded');
  }

  apply(event: RecordedEvent): void {
    for (const index of this.indexes) index.apply(event);
    this.denials.settle(event.globalPosition);
  }

  /**
   * The principal a presented secret speaks for, or null if it is malformed, unknown, revoked or
   * expired. A fresh node answers from memory alone; a stale one (no word from the lifecycle feed
   * within the bound) answers null in `refuse` mode, and in `read-model` mode only for what the
   * read model still holds active.
   */
  async verify(secret: string, now: string): Promise<Principal | null> {
    const verification = await this.check(secret, now);
    this.count(verification);
    return verification.principal;
  }

  /**
   * `verify` without counting it: for a caller that may hand the request on to another that
   * verifies the same secret again (the introspection fast path), so that each is counted once.
   */
  async check(secret: string, now: string): Promise<Verification> {
    const kind = parseSecret(secret);
    return { kind, ...(await this.verdict(kind, secret, now)) };
  }

  count({ kind, outcome }: Verification): void {
    this.metrics.verifications.inc({ kind: kind ?? 'unrecognised', outcome });
  }

  private async verdict(kind: SecretKind | null, secret: string, now: string): Promise<{ principal: Principal | null; outcome: VerificationOutcome }> {
    const principal = this.lookUp(kind, secret, now) ?? (await this.lookUpAfterCatchingUp(kind, secret, now));
    if (!principal) return { principal, outcome: 'rejected' };
    if (!this.feed.isStale()) return { principal, outcome: 'accepted' };
    if (this.config.STALE_VERIFICATION === 'refuse') return { principal: null, outcome: 'refused_stale' };
    return (await this.readModel.confirms(principal)) ? { principal, outcome: 'accepted_stale' } : { principal: null, outcome: 'rejected_stale' };
  }

  /**
   * Returns once this node enforces what the log holds up to `position` (a revocation's), or up
   * to the head when the command appended nothing (a repeated revocation whose event may still
   * be on its way here). Otherwise the revocation stands but is not yet enforced here, and the
   * caller must not hear that it is: 503 with Retry-After, and repeating it is safe.
   */
  async confirmRevocation(position: GlobalPosition | null): Promise<void> {
    const target = position ?? (await this.events.headPosition());
    if (target === null || (this.runner !== null && (await this.runner.waitFor(target, ENFORCEMENT_WAIT_MS)))) return;
    throw new ApplicationError({
      kind: 'not-enforced-yet',
      message: 'The revocation is recorded, but this node does not enforce it yet; repeat the request (it is safe) to learn when it does.',
      retryAfterSeconds: 1,
    });
  }

  /**
   * A well-formed secret this index does not know may have been written a moment ago by another
   * process (the bootstrap CLI prints its token as soon as it is in the log): when the log's head
   * is ahead of the index, wait for the index to get there and look again. A miss otherwise costs
   * one read of the head, shared by concurrent misses, so random tokens cannot make it dearer;
   * malformed ones never get that far.
   */
  private async lookUpAfterCatchingUp(kind: SecretKind | null, secret: string, now: string): Promise<Principal | null> {
    if (!this.runner || !kind) return null;
    this.headRead ??= this.events.headPosition().finally(() => (this.headRead = null));
    const head = await this.headRead;
    const position = this.runner.status().position;
    if (head === null || (position !== null && position >= head)) return null;
    return (await this.runner.waitFor(head, CATCH_UP_ON_MISS_MS)) ? this.lookUp(kind, secret, now) : null;
  }

  private lookUp(kind: SecretKind | null, secret: string, now: string): Principal | null {
    const index = kind && this.byKind.get(kind);
    const principal = index ? index.verify(this.hasher.candidateHashes(secret), now, secret) : null;
    return principal && this.denials.restrict(principal);
  }

  size(): number {
    return this.indexes.reduce((sum, index) => sum + index.size, 0);
  }
}
