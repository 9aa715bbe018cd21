import { randomUUID } from 'node:crypto';
import { AccessTokenClaims, accessTokenIssuanceDecider, issuanceStreamId, issuanceWindowOf, OAuthClientKind, Permission, streamName } from '@keyhold/domain';
import { CommandPipeline, RequestContext } from '../command-pipeline';

/** The client a token is issued to, as its authentication at the token endpoint found it. */
export type IssuingClient = {
  readonly clientId: string;
  readonly kind: OAuthClientKind;
  readonly tenantId: string;
  readonly generation: number;
  readonly secretId: string | null;
};

export type IssueAccessTokenInput = {
  readonly client: IssuingClient;
  /** Already bounded by what the client holds (RFC 6749 §3.3, checked where the scope is read). */
  readonly scope: Permission[];
  readonly context: RequestContext;
};

export type GrantedAccessToken = { readonly accessToken: string; readonly expiresIn: number; readonly scope: Permission[] };

/** Turns claims into the token that carries them under the hash key's MAC (the verification side knows the key). */
export interface AccessTokenSealer {
  seal(claims: AccessTokenClaims): string;
}

/** Whole seconds: what a sealed token's claims can say. */
const wholeSecondMs = (ms: number) => Math.floor(ms / 1000) * 1000;
const wholeSecond = (ms: number) => new Date(wholeSecondMs(ms)).toISOString();

/**
 * Issues a sealed access token (client_credentials): nothing per token in the log, so issuing
 * costs a MAC, not an append (docs/access-tokens.md). What the log keeps is that the client
 * obtained tokens: one `AccessTokensIssued` per client, secret generation and hour, appended
 * durably before the first token of that hour is handed out. This process remembers which hours
 * it has recorded; another process, or this one after a restart, finds the stream there and
 * appends nothing.
 */
export class IssueAccessToken {
  /** Issuance streams recorded (or being recorded) by this process, this hour and the one before. */
  private recorded = new Map<string, Promise<unknown>>();
  /**
   * The hour the last token fell in, and its bounds in epoch milliseconds: every token of an hour
   * shares its window, so it is made once an hour rather than once a token.
   */
  private window: ReturnType<typeof issuanceWindowOf> & { readonly startMs: number; readonly endMs: number } = { windowStart: '', windowEnd: '', startMs: 0, endMs: 0 };
  /**
   * The whole second the last token was issued in, and the instants its claims say: every token of
   * a second shares them, so they are written once a second (two `toISOString` calls were a
   * microsecond of every token).
   */
  private second = { startMs: -1, issuedAt: '', expiresAt: '' };

  constructor(
    private readonly commands: CommandPipeline,
    private readonly sealer: AccessTokenSealer,
    private readonly config: { readonly ACCESS_TOKEN_TTL_SECONDS: number },
  ) {}

  async execute({ client, scope, context }: IssueAccessTokenInput): Promise<GrantedAccessToken> {
    const nowMs = Date.now();
    const { startMs, issuedAt, expiresAt } = this.secondOf(nowMs);
    const claims: AccessTokenClaims = {
      tenantId: client.tenantId,
      clientId: client.clientId,
      clientKind: client.kind,
      tokenId: randomUUID(),
      clientGeneration: client.generation,
      clientSecretId: client.secretId,
      scope,
      issuedAt,
      expiresAt,
    };
    await this.recordIssuance(claims, startMs, () => ({ ...context, actorId: client.clientId, tenantId: client.tenantId, now: new Date(nowMs).toISOString() }));
    return { accessToken: this.sealer.seal(claims), expiresIn: this.config.ACCESS_TOKEN_TTL_SECONDS, scope };
  }

  private secondOf(nowMs: number): { readonly startMs: number; readonly issuedAt: string; readonly expiresAt: string } {
    const startMs = wholeSecondMs(nowMs);
    if (startMs !== this.second.startMs) {
      this.second = { startMs, issuedAt: wholeSecond(nowMs), expiresAt: wholeSecond(nowMs + this.config.ACCESS_TOKEN_TTL_SECONDS * 1000) };
    }
    return this.second;
  }

  /** `issuedAtMs`: the claims' issuedAt; `contextOf`: the append's context, made only for the hour's first token, the one that appends. */
  private recordIssuance(claims: AccessTokenClaims, issuedAtMs: number, contextOf: () => RequestContext & { tenantId: string; now: string }): Promise<unknown> {
    const window = this.windowOf(claims.issuedAt, issuedAtMs);
    const id = issuanceStreamId(claims.clientId, claims.clientGeneration, window.windowStart);
    const key = `${id}|${window.windowStart}`;
    let recording = this.recorded.get(key);
    if (!recording) {
      const { tenantId, clientId, clientKind, clientGeneration, tokenId, scope, issuedAt, expiresAt } = claims;
      const { windowStart, windowEnd } = window;
      recording = this.commands.run(
        streamName('accessTokenIssuance', id),
        accessTokenIssuanceDecider,
        { type: 'RecordAccessTokenIssuance', tenantId, clientId, clientKind, clientGeneration, windowStart, windowEnd, tokenId, scope: [...scope], issuedAt, expiresAt },
        contextOf(),
      );
      this.recorded.set(key, recording);
      // A failed append is tried again by the next request, and this one fails: no token without its record.
      recording.catch(() => this.recorded.delete(key));
    }
    return recording;
  }

  /** The issuance window of `issuedAt` (`issuedAtMs` in epoch milliseconds): the last one made while the hour lasts. */
  private windowOf(issuedAt: string, issuedAtMs: number): { windowStart: string; windowEnd: string } {
    if (issuedAtMs >= this.window.startMs && issuedAtMs < this.window.endMs) return this.window;
    const window = issuanceWindowOf(issuedAt);
    if (window.windowStart !== this.window.windowStart) {
      // Streams of hours before the last one are never appended to again: forget them.
      const lastHour = this.window.windowStart;
      this.recorded = new Map([...this.recorded].filter(([id]) => id.endsWith(`|${lastHour}`)));
    }
    this.window = { ...window, startMs: Date.parse(window.windowStart), endMs: Date.parse(window.windowEnd) };
    return window;
  }
}
