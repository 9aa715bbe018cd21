import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { accessTokenDecider, streamName } from '@keyhold/domain';
import { generateSecret, SecretHasher } from '@keyhold/crypto';
import { KEYHOLD_CONFIG, KeyholdConfig } from '@keyhold/platform';
import { CommandRunner } from '../command-runner';
import { CredentialIndexService } from '../verification/credential-index.service';
import { IssueAccessTokenCommand, IssuedAccessToken, RevokeAccessTokenCommand } from './oauth.commands';

@CommandHandler(IssueAccessTokenCommand)
export class IssueAccessTokenHandler implements ICommandHandler<IssueAccessTokenCommand> {
  constructor(
    private readonly runner: CommandRunner,
    @Inject(KEYHOLD_CONFIG) private readonly config: KeyholdConfig,
    private readonly hasher: SecretHasher,
  ) {}

  async execute({ client, scope, context }: IssueAccessTokenCommand): Promise<IssuedAccessToken> {
    const nowMs = Date.now();
    const now = new Date(nowMs).toISOString();
    const expiresIn = this.config.ACCESS_TOKEN_TTL_SECONDS;
    const accessToken = generateSecret('accessToken');
    const { hash, keyId } = this.hasher.hash(accessToken);
    const tokenId = randomUUID();
    // The runner answers once this node applied the token, so it works as soon as it is returned.
    await this.runner.run(
      streamName('accessToken', tokenId),
      accessTokenDecider,
      {
        type: 'IssueAccessToken',
        tenantId: client.tenantId,
        tokenId,
        clientId: client.clientId,
        clientKind: client.kind,
        scope,
        secretHash: hash,
        hashKeyId: keyId,
        clientGeneration: client.generation,
        clientSecretId: client.secretId,
        expiresAt: new Date(nowMs + expiresIn * 1000).toISOString(),
        now,
      },
      { ...context, actorId: client.clientId, tenantId: client.tenantId, now },
    );
    return { accessToken, expiresIn, scope };
  }
}

@CommandHandler(RevokeAccessTokenCommand)
export class RevokeAccessTokenHandler implements ICommandHandler<RevokeAccessTokenCommand> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly credentials: CredentialIndexService,
  ) {}

  async execute({ tenantId, tokenId, context }: RevokeAccessTokenCommand): Promise<void> {
    const now = new Date().toISOString();
    const result = await this.runner.run(
      streamName('accessToken', tokenId),
      accessTokenDecider,
      { type: 'RevokeAccessToken', revokedBy: context.actorId, now },
      { ...context, tenantId, now },
    );
    await this.credentials.confirmRevocation(result.position);
  }
}
