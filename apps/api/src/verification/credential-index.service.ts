import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Logger } from 'pino';
import { hasExpired } from '@keyhold/domain';
import { parseSecret, ProcessLocalDigest, SecretHasher, SecretKind } from '@keyhold/crypto';
import { EVENT_STORE, EventStore, GlobalPosition, RecordedEvent } from '@keyhold/event-store';
import { KEYHOLD_CONFIG, KeyholdConfig, KeyholdMetrics, ProjectionsService, ROOT_LOGGER } from '@keyhold/platform';
import { CheckpointStore, Projection, ProjectionRunner } from '@keyhold/read-models';
import { ApplicationError } from '@keyhold/application';
import { CredentialIndexSnapshot, decodeSnapshot, encodeSnapshot, SNAPSHOT_LAYOUT, SnapshotFile } from './credential-index-snapshot';
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
 * process (the CLI, another node) appended what it has not read yet: on SQLite the store notices
 * such commits within its `PRAGMA data_version` check (every 10 ms), so this bound is only met
 * when the node is far behind.
 */
const CATCH_UP_ON_MISS_MS = 1000;
/** Events read from the log a page at a time at start, applied straight to the indexes. */
const LOAD_PAGE_EVENTS = 2000;
/** How often the snapshot is renewed while the node runs, if this many events came since the last one. */
const SNAPSHOT_EVERY_MS = 5 * 60_000;
const SNAPSHOT_AFTER_EVENTS = 10_000;
/** A start that applied that many events writes a snapshot this soon after, so that the next start need not. */
const SNAPSHOT_AFTER_START_MS = 10_000;
/** Callers remembered at most (then forgotten all at once): a node's callers are few, the bound only stops a flood of tokens growing it. */
const CALLERS_REMEMBERED = 10_000;

/** The last event the indexes applied, and where the one before it stood: what a snapshot is checked against. */
type Applied = { readonly position: GlobalPosition; readonly previousPosition: GlobalPosition | null; readonly eventId: string };

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
 *
 * At start the node takes over its last snapshot (`credential-index-snapshot.ts`) if it is sound
 * and of this log, then reads the rest of the log a page at a time straight into the indexes,
 * then follows the log through a projection runner from there. It writes a snapshot now and then
 * and at shutdown.
 */
@Injectable()
export class CredentialIndexService implements OnModuleInit, OnApplicationShutdown, Projection {
  readonly name = 'credential-index';
  private readonly byKind: ReadonlyMap<SecretKind, CredentialKindIndex>;
  private runner: ProjectionRunner | null = null;
  private applied: Applied | null = null;
  private appliedSinceSnapshot = 0;
  private readonly snapshots: SnapshotFile;
  private snapshotTimers: NodeJS.Timeout[] = [];
  private snapshotWrite: Promise<void> = Promise.resolve();
  /** One read of the log's head shared by every lookup that misses meanwhile. */
  private headRead: Promise<GlobalPosition | null> | null = null;
  /** Events applied since start: with the early denials' changes, what a remembered caller is checked against (see `authenticate`). */
  private eventsApplied = 0;
  /** Callers' principals by the process-local digest of the secret they presented (never the secret), valid while `callersChanges` holds. */
  private readonly callers = new Map<string, Principal>();
  /** A remembered caller is found by this digest; the secret's HMAC is made only when the index has to be searched. */
  private readonly callerKeys = new ProcessLocalDigest();
  private callersChanges = -1;

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
    this.snapshots = new SnapshotFile(config.DATA_DIR);
  }

  async onModuleInit(): Promise<void> {
    const head = await this.events.headPosition();
    const started = Date.now();
    const restored = head !== null && (await this.restoreSnapshot(head));
    const fromLog = head === null ? 0 : await this.loadLog(head);
    // The runner follows the log from where the load stopped; the index lives in memory, so it saves no checkpoint.
    const resumeHere: CheckpointStore = { getCheckpoint: async () => this.applied?.position ?? null, saveCheckpoint: async () => undefined };
    this.runner = await this.projections.run(this, resumeHere);
    if (head !== null) this.logger.info({ credentials: this.size(), fromSnapshot: restored, eventsFromLog: fromLog, ms: Date.now() - started }, 'Credential index loaded');
    this.scheduleSnapshots(fromLog >= SNAPSHOT_AFTER_EVENTS);
  }

  async onApplicationShutdown(): Promise<void> {
    for (const timer of this.snapshotTimers) clearTimeout(timer);
    this.snapshotTimers = [];
    if (this.appliedSinceSnapshot > 0) await this.writeSnapshot();
    await this.snapshotWrite;
  }

  apply(event: RecordedEvent): void {
    for (const index of this.indexes) index.apply(event);
    this.denials.settle(event.globalPosition);
    this.applied = { position: event.globalPosition, previousPosition: this.applied?.position ?? null, eventId: event.metadata.eventId };
    this.appliedSinceSnapshot += 1;
    this.eventsApplied += 1;
  }

  /**
   * Applies the log after what the indexes hold, up to `head` at least, a page at a time with a
   * turn of the event loop between pages; answers how many events it applied.
   */
  private async loadLog(head: GlobalPosition): Promise<number> {
    let applied = 0;
    let loggedAt = Date.now();
    while (this.applied === null || this.applied.position < head) {
      const page = await this.events.readAll(this.applied?.position ?? null, LOAD_PAGE_EVENTS);
      if (page.length === 0) break;
      for (const event of page) this.apply(event);
      applied += page.length;
      if (Date.now() - loggedAt >= LOG_PROGRESS_EVERY_MS) {
        loggedAt = Date.now();
        this.logger.info({ credentials: this.size(), position: this.applied?.position, head }, 'Loading credential index');
      }
      await nextTurn();
    }
    return applied;
  }

  /**
   * Takes over the snapshot in DATA_DIR when it is sound (MAC under a hash key this node holds,
   * this code's layout) and of this log (the log holds its last event where it says, at or
   * before `head`); otherwise leaves the indexes empty for the full load, saying why.
   */
  private async restoreSnapshot(head: GlobalPosition): Promise<boolean> {
    const refuse = (reason: string, error?: unknown): false => {
      this.logger.warn({ reason, file: this.snapshots.path, error: error instanceof Error ? error.message : undefined }, 'Credential index snapshot refused; loading the whole log');
      return false;
    };
    let snapshot: CredentialIndexSnapshot | string;
    try {
      const bytes = await this.snapshots.read();
      if (bytes === null) return false;
      snapshot = decodeSnapshot(bytes, this.hasher);
    } catch (error) {
      return refuse('unreadable', error);
    }
    if (typeof snapshot === 'string') return refuse(snapshot);
    const states = snapshot.states;
    if (this.indexes.some((index) => !states.has(index.kind))) return refuse('layout');
    if (snapshot.position > head || !(await this.logHolds(snapshot))) return refuse('not-this-log');
    for (const index of this.indexes) index.restore(states.get(index.kind));
    const { position, previousPosition, eventId } = snapshot;
    this.applied = { position, previousPosition, eventId };
    this.appliedSinceSnapshot = 0;
    this.denials.settle(position);
    return true;
  }

  /** Whether the log holds the snapshot's last event at its position: a snapshot of another log (a restored backup, another node's) is not. */
  private async logHolds(snapshot: CredentialIndexSnapshot): Promise<boolean> {
    const [event] = await this.events.readAll(snapshot.previousPosition, 1);
    return event !== undefined && event.globalPosition === snapshot.position && event.metadata.eventId === snapshot.eventId;
  }

  private scheduleSnapshots(soon: boolean): void {
    const every = setInterval(() => {
      if (this.appliedSinceSnapshot >= SNAPSHOT_AFTER_EVENTS) void this.writeSnapshot();
    }, SNAPSHOT_EVERY_MS);
    const afterStart = setTimeout(() => void this.writeSnapshot(), SNAPSHOT_AFTER_START_MS);
    if (!soon) clearTimeout(afterStart);
    for (const timer of [every, afterStart]) timer.unref();
    this.snapshotTimers = [every, afterStart];
  }

  /**
   * Writes what the indexes hold now. The states share the indexes' buffers, so they are encoded
   * and handed to the file synchronously, before another event can change them; only the fsync
   * and the rename wait. A failure costs the next start time, never correctness: it is logged.
   */
  private writeSnapshot(): Promise<void> {
    this.snapshotWrite = this.snapshotWrite.then(async () => {
      const applied = this.applied;
      if (applied === null) return;
      const started = Date.now();
      try {
        const states = new Map(this.indexes.map((index) => [index.kind, index.state()]));
        const parts = encodeSnapshot({ layout: SNAPSHOT_LAYOUT, ...applied, states }, this.hasher);
        this.appliedSinceSnapshot = 0;
        await this.snapshots.write(parts);
        this.logger.info({ position: applied.position, ms: Date.now() - started }, 'Credential index snapshot written');
      } catch (error) {
        this.logger.warn({ error: (error as Error).message }, 'Credential index snapshot not written');
      }
    });
    return this.snapshotWrite;
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

  /**
   * `check` for the caller of a hot route (introspection): the same answer, without the index
   * lookup when the same personal token called since anything changed. A remembered principal
   * is forgotten as soon as the index applies any event or an early denial is heard, and none is
   * used while the revocation feed is stale, so authority never outlives a revocation that has
   * reached this node; its expiry is checked on every call. Only personal tokens are
   * remembered: their verification depends on the clock through `expiresAt` alone.
   */
  async authenticate(secret: string, now: string): Promise<Verification> {
    if (this.feed.isStale() || parseSecret(secret) !== 'personalApiToken') return this.check(secret, now);
    const changes = this.eventsApplied + this.denials.changes;
    if (changes !== this.callersChanges) {
      this.callers.clear();
      this.callersChanges = changes;
    }
    const key = this.callerKeys.of(secret);
    const remembered = this.callers.get(key);
    if (remembered !== undefined && !hasExpired(remembered.expiresAt, now)) return { kind: 'personalApiToken', principal: remembered, outcome: 'accepted' };
    const verification = await this.check(secret, now);
    // A lookup that waited for the log may have seen the index change meanwhile: only what was true throughout is remembered.
    const unchanged = this.eventsApplied + this.denials.changes === changes;
    if (unchanged && verification.outcome === 'accepted' && verification.kind === 'personalApiToken' && verification.principal) {
      if (this.callers.size >= CALLERS_REMEMBERED) this.callers.clear();
      this.callers.set(key, verification.principal);
    }
    return verification;
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
    const principal = index ? index.verify(() => this.hasher.candidateHashes(secret), now, secret) : null;
    return principal && this.denials.restrict(principal);
  }

  size(): number {
    return this.indexes.reduce((sum, index) => sum + index.size, 0);
  }
}
