import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { accessTokenDecider, streamName } from '@keyhold/domain';
import { generateSecret, SecretHasher } from '@keyhold/crypto';
import { EVENT_STORE, EventStore, handleCommand } from '@keyhold/event-store';
import { KEYHOLD_CONFIG, KeyholdConfig } from '@keyhold/platform';
import { RejectionError } from '../http/rejection-error';
import { ReadYourWrites } from '../read-your-writes';
import { IssueAccessTokenCommand, IssuedAccessToken, RevokeAccessTokenCommand } from './oauth.commands';

@CommandHandler(IssueAccessTokenCommand)
export class IssueAccessTokenHandler implements ICommandHandler<IssueAccessTokenCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(KEYHOLD_CONFIG) private readonly config: KeyholdConfig,
    private readonly hasher: SecretHasher,
    private readonly readYourWrites: ReadYourWrites,
  ) {}

  async execute({ client, scope, context }: IssueAccessTokenCommand): Promise<IssuedAccessToken> {
    const nowMs = Date.now();
    const now = new Date(nowMs).toISOString();
    const expiresIn = this.config.ACCESS_TOKEN_TTL_SECONDS;
    const accessToken = generateSecret('accessToken');
    const { hash, keyId } = this.hasher.hash(accessToken);
    const tokenId = randomUUID();
    const result = await handleCommand(
      this.events,
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
        expiresAt: new Date(nowMs + expiresIn * 1000).toISOString(),
        now,
      },
      { ...context, actorId: client.clientId, tenantId: client.tenantId, now },
    );
    if (result.outcome === 'rejected') throw new RejectionError(result.rejection);
    // The token works on this node as soon as the response is out.
    await this.readYourWrites.await(result.position);
    return { accessToken, expiresIn, scope };
  }
}

@CommandHandler(RevokeAccessTokenCommand)
export class RevokeAccessTokenHandler implements ICommandHandler<RevokeAccessTokenCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly readYourWrites: ReadYourWrites,
  ) {}

  async execute({ tenantId, tokenId, context }: RevokeAccessTokenCommand): Promise<void> {
    const now = new Date().toISOString();
    const result = await handleCommand(
      this.events,
      streamName('accessToken', tokenId),
      accessTokenDecider,
      { type: 'RevokeAccessToken', revokedBy: context.actorId, now },
      { ...context, tenantId, now },
    );
    if (result.outcome === 'rejected') throw new RejectionError(result.rejection);
    await this.readYourWrites.await(result.position);
  }
}
