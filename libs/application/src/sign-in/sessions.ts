import { randomUUID } from 'node:crypto';
import { Logger } from 'pino';
import { SESSION_EVENTS, sessionDecider, SessionEndReason, sessionLive, SessionState, streamName } from '@keyhold/domain';
import { generateSecret, parseSecret, SecretHasher } from '@keyhold/crypto';
import { EventStore } from '@keyhold/event-store';
import { ApplicationError } from '../application-error';
import { CommandPipeline, RequestContext } from '../command-pipeline';
import { readState } from '../read-state';

/** Who a live session cookie speaks for. */
export type SessionUser = { readonly tenantId: string; readonly userId: string; readonly sessionId: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Browser sessions. The cookie reads `<session id>.<secret>`: the id names the session's stream
 * (and is what users and admins list and end), the secret proves possession and is stored only
 * as a keyed hash. Every check reads the session's stream, so an ended session is refused on
 * every node at once.
 */
export class Sessions {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly hasher: SecretHasher,
    private readonly events: EventStore,
    private readonly logger: Logger,
  ) {}

  /** Starts a session and answers the cookie value that carries it. */
  async start(tenantId: string, userId: string, context: RequestContext): Promise<{ cookie: string; sessionId: string }> {
    const sessionId = randomUUID();
    const secret = generateSecret('sessionSecret');
    const { hash, keyId } = this.hasher.hash(secret);
    const now = new Date().toISOString();
    await this.commands.run(
      streamName('session', sessionId),
      sessionDecider,
      { type: 'StartSession', tenantId, userId, sessionId, secretHash: hash, hashKeyId: keyId, now },
      { ...context, actorId: userId, tenantId, now },
    );
    return { cookie: `${sessionId}.${secret}`, sessionId };
  }

  /** The user a cookie speaks for, or null when it is malformed, unknown, ended or timed out; records activity. */
  async authenticate(cookie: string | undefined, context: RequestContext): Promise<SessionUser | null> {
    const [sessionId, secret, extra] = (cookie ?? '').split('.');
    if (extra !== undefined || !UUID.test(sessionId ?? '') || parseSecret(secret ?? '') !== 'sessionSecret') return null;
    const state = await this.state(sessionId);
    const now = new Date().toISOString();
    if (!sessionLive(state, now)) return null;
    const stored = { hash: state.secretHash, keyId: state.hashKeyId };
    if (!this.hasher.candidateHashes(secret).some((candidate) => SecretHasher.sameHash(candidate, stored))) return null;
    const { tenantId, userId } = state.ids;
    await this.commands.run(streamName('session', sessionId), sessionDecider, { type: 'RecordSessionActivity', now }, { ...context, actorId: userId, tenantId, now });
    return { tenantId, userId, sessionId };
  }

  /** Ends a session of `tenantId` (a no-op when it already ended); refused as not found in another tenant. */
  async end(tenantId: string, sessionId: string, reason: SessionEndReason, context: RequestContext): Promise<void> {
    const now = new Date().toISOString();
    await this.commands.run(streamName('session', sessionId), sessionDecider, { type: 'EndSession', tenantId, reason, now }, { ...context, tenantId, now });
    this.logger.info({ audit: 'session-ended', tenantId, sessionId, reason, actorId: context.actorId }, 'Session ended');
  }

  /** Ends one of a user's sessions, by the user or an admin; a session of anyone else does not exist for them. */
  async endOf(tenantId: string, userId: string, sessionId: string, reason: 'ended-by-user' | 'ended-by-admin', context: RequestContext): Promise<void> {
    const state = UUID.test(sessionId) ? await this.state(sessionId) : null;
    if (state?.status === 'none' || state?.ids.tenantId !== tenantId || state.ids.userId !== userId) throw ApplicationError.notFound('Session not found.');
    await this.end(tenantId, sessionId, reason, context);
  }

  private async state(sessionId: string): Promise<SessionState> {
    return (await readState(this.events, streamName('session', sessionId), sessionDecider, SESSION_EVENTS)).state;
  }
}
