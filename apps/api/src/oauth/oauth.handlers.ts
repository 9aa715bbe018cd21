import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { AccessTokenClaims, accessTokenDecider, accessTokenIssuanceDecider, issuanceStreamId, issuanceWindowOf, streamName } from '@keyhold/domain';
import { KEYHOLD_CONFIG, KeyholdConfig, KeyholdMetrics } from '@keyhold/platform';
import { CommandRunner } from '../command-runner';
import { RequestContext } from '../http/request-context';
import { CredentialIndexService } from '../verification/credential-index.service';
import { OAuthIndex } from '../verification/oauth-index';
import { IssueAccessTokenCommand, IssuedAccessToken, RevokeAccessTokenCommand } from './oauth.commands';

/** Whole seconds: what a sealed token's claims can say. */
const wholeSecond = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString();

/**
 * Issues a sealed access token: nothing per token in the log, so issuing costs a MAC, not an
 * append. What the log keeps is that the client obtained tokens: one `AccessTokensIssued` per
 * client, secret generation and hour, appended (durably, and applied here) before the first
 * token of that hour is handed out. This node remembers which hours it has recorded; another
 * node, or this one after a restart, finds the stream there and appends nothing.
 */
@CommandHandler(IssueAccessTokenCommand)
export class IssueAccessTokenHandler implements ICommandHandler<IssueAccessTokenCommand> {
  /** Issuance streams recorded (or being recorded) by this node, this hour and the one before. */
  private recorded = new Map<string, Promise<unknown>>();
  private recordedHour = '';

  constructor(
    private readonly runner: CommandRunner,
    private readonly oauth: OAuthIndex,
    private readonly metrics: KeyholdMetrics,
    @Inject(KEYHOLD_CONFIG) private readonly config: KeyholdConfig,
  ) {}

  async execute({ client, scope, context }: IssueAccessTokenCommand): Promise<IssuedAccessToken> {
    const nowMs = Date.now();
    const expiresIn = this.config.ACCESS_TOKEN_TTL_SECONDS;
    const claims: AccessTokenClaims = {
      tenantId: client.tenantId,
      clientId: client.clientId,
      clientKind: client.kind,
      tokenId: randomUUID(),
      clientGeneration: client.generation,
      clientSecretId: client.secretId,
      scope,
      issuedAt: wholeSecond(nowMs),
      expiresAt: wholeSecond(nowMs + expiresIn * 1000),
    };
    await this.recordIssuance(claims, { ...context, actorId: client.clientId, tenantId: client.tenantId, now: new Date(nowMs).toISOString() });
    this.metrics.credentialChanges.inc({ kind: 'accessToken', change: 'issued' });
    return { accessToken: this.oauth.seal(claims), expiresIn, scope };
  }

  private recordIssuance(claims: AccessTokenClaims, context: RequestContext & { tenantId: string; now: string }): Promise<unknown> {
    const window = issuanceWindowOf(claims.issuedAt);
    if (window.windowStart !== this.recordedHour) {
      // Streams of hours before the last one are never appended to again: forget them.
      const lastHour = this.recordedHour;
      this.recorded = new Map([...this.recorded].filter(([id]) => id.endsWith(`|${lastHour}`)));
      this.recordedHour = window.windowStart;
    }
    const id = issuanceStreamId(claims.clientId, claims.clientGeneration, window.windowStart);
    const key = `${id}|${window.windowStart}`;
    let recording = this.recorded.get(key);
    if (!recording) {
      const { tenantId, clientId, clientKind, clientGeneration, tokenId, scope, issuedAt, expiresAt } = claims;
      recording = this.runner.run(
        streamName('accessTokenIssuance', id),
        accessTokenIssuanceDecider,
        { type: 'RecordAccessTokenIssuance', tenantId, clientId, clientKind, clientGeneration, ...window, tokenId, scope: [...scope], issuedAt, expiresAt },
        context,
      );
      this.recorded.set(key, recording);
      // A failed append is tried again by the next request, and this one fails: no token without its record.
      recording.catch(() => this.recorded.delete(key));
    }
    return recording;
  }
}

@CommandHandler(RevokeAccessTokenCommand)
export class RevokeAccessTokenHandler implements ICommandHandler<RevokeAccessTokenCommand> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly credentials: CredentialIndexService,
  ) {}

  async execute({ token, context }: RevokeAccessTokenCommand): Promise<void> {
    const now = new Date().toISOString();
    const { tenantId, tokenId, clientId, expiresAt } = token;
    const result = await this.runner.run(
      streamName('accessToken', tokenId),
      accessTokenDecider,
      { type: 'RevokeAccessToken', tenantId, tokenId, clientId, expiresAt, revokedBy: context.actorId, now },
      { ...context, tenantId, now },
    );
    await this.credentials.confirmRevocation(result.position);
  }
}
