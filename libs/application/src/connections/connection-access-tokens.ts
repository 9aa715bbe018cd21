import { connectionDecider } from '@keyhold/domain';
import { CommandPipeline, RequestContext } from '../command-pipeline';
import { OutboundHttp, outboundFailed, outboundRefused } from '../outbound';
import { ActiveConnection } from './connection-details';
import { connectionStream } from './connection-stream';

export type ConnectionAccessToken = { readonly accessToken: string; readonly tokenType: string; readonly expiresAt: string };

type Cached = ConnectionAccessToken & { readonly refreshAtMs: number; readonly fingerprint: string };

/** A token is fetched again this long before it expires (or at half its life, if that is sooner). */
const REFRESH_MARGIN_MS = 60_000;
/** A token server that gives no lifetime: the token is kept this long. */
const DEFAULT_LIFETIME_S = 300;

/** A different client id, secret or token URL (any update does) makes a cached token stale. */
const fingerprintOf = (connection: ActiveConnection) => `${connection.updatedAt}\u0000${connection.credential.type === 'oauth2' ? connection.credential.clientId : ''}`;

/** RFC 6749 §2.3.1: client id and secret form-encoded, then joined and base64-encoded. */
const basicAuth = (clientId: string, clientSecret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId).replace(/%20/g, '+')}:${encodeURIComponent(clientSecret).replace(/%20/g, '+')}`).toString('base64')}`;

const parseTokenResponse = (body: string): { accessToken: string; tokenType: string; expiresIn: number } | null => {
  try {
    const parsed = JSON.parse(body) as { access_token?: unknown; token_type?: unknown; expires_in?: unknown };
    if (typeof parsed.access_token !== 'string' || parsed.access_token.length === 0 || parsed.access_token.length > 8192) return null;
    const tokenType = typeof parsed.token_type === 'string' ? parsed.token_type : 'Bearer';
    const expiresIn = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : DEFAULT_LIFETIME_S;
    return { accessToken: parsed.access_token, tokenType, expiresIn };
  } catch {
    return null;
  }
};

/**
 * Short-lived access tokens for OAuth 2.0 connections, obtained by the client-credentials grant
 * at the connection's token URL (client_secret_basic) through the one outbound adapter: callers
 * get the token, never the client secret. Tokens are kept in this node's memory until shortly
 * before they expire; concurrent callers of one connection share one exchange (single flight).
 * Every exchange, whatever its outcome, is recorded on the connection's stream, without the token.
 */
export class ConnectionAccessTokens {
  private readonly cache = new Map<string, Cached>();
  private readonly inFlight = new Map<string, Promise<Cached>>();

  constructor(
    private readonly commands: CommandPipeline,
    private readonly outbound: OutboundHttp,
  ) {}

  async obtain(connection: ActiveConnection, clientSecret: string, context: RequestContext): Promise<ConnectionAccessToken> {
    const fingerprint = fingerprintOf(connection);
    const cached = this.cache.get(connection.connectionId);
    if (cached && cached.fingerprint === fingerprint && cached.refreshAtMs > Date.now()) return cached;
    const pending = this.inFlight.get(connection.connectionId);
    if (pending) return pending;
    const fetching = this.fetch(connection, clientSecret, fingerprint, context).finally(() => this.inFlight.delete(connection.connectionId));
    this.inFlight.set(connection.connectionId, fetching);
    return fetching;
  }

  private async fetch(connection: ActiveConnection, clientSecret: string, fingerprint: string, context: RequestContext): Promise<Cached> {
    if (connection.credential.type !== 'oauth2') throw new Error('Only OAuth 2.0 connections have access tokens');
    const { clientId, tokenUrl, scopes } = connection.credential;
    const result = await this.outbound.postForm({
      url: tokenUrl,
      allowHttp: false,
      form: { grant_type: 'client_credentials', ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}) },
      headers: { authorization: basicAuth(clientId, clientSecret), accept: 'application/json' },
    });
    const nowMs = Date.now();
    const token = result.outcome === 'delivered' ? parseTokenResponse(result.body) : null;
    const reason = result.outcome === 'delivered' ? 'The token URL did not answer with an access token.' : result.reason;
    const expiresAt = token ? new Date(nowMs + token.expiresIn * 1000).toISOString() : null;
    await this.commands.run(
      connectionStream(connection.connectionId),
      connectionDecider,
      {
        type: 'RecordAccessTokenFetch',
        tenantId: connection.tenantId,
        connectionId: connection.connectionId,
        host: result.host,
        attempts: result.attempts,
        outcome: token && expiresAt ? { fetched: true, expiresAt } : { fetched: false, reason },
        now: new Date(nowMs).toISOString(),
      },
      { ...context, tenantId: connection.tenantId, now: new Date(nowMs).toISOString() },
    );
    if (result.outcome === 'refused') throw outboundRefused(`The token URL may not be called: ${result.reason}`);
    if (!token || !expiresAt) throw outboundFailed(`The client-credentials exchange at the token URL failed: ${reason}`);
    const lifetimeMs = token.expiresIn * 1000;
    const cached: Cached = {
      accessToken: token.accessToken,
      tokenType: token.tokenType,
      expiresAt,
      fingerprint,
      refreshAtMs: nowMs + Math.min(lifetimeMs - REFRESH_MARGIN_MS, lifetimeMs / 2),
    };
    this.cache.set(connection.connectionId, cached);
    return cached;
  }
}
