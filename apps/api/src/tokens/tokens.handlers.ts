import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { createHash, randomUUID } from 'node:crypto';
import {
  personalTokenAuthorityNeeds,
  personalTokensDecider,
  streamName,
  tenancyDecider,
  tokenIssuedWithIdempotencyKey,
  withAuthority,
} from '@keyhold/domain';
import { EVENT_STORE, EventStore, readFolded } from '@keyhold/event-store';
import { generateSecret, SecretHasher, secretHint } from '@keyhold/crypto';
import { CommandRunner } from '../command-runner';
import { Problem } from '../http/problem';
import { CredentialIndexService } from '../verification/credential-index.service';
import { PersonalTokenIndex } from '../verification/personal-token-index';
import { IssuedToken, IssueTokenCommand, OwnedToken, RevokeTokenCommand } from './tokens.commands';

@CommandHandler(IssueTokenCommand)
export class IssueTokenHandler implements ICommandHandler<IssueTokenCommand> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly hasher: SecretHasher,
    @Inject(EVENT_STORE) private readonly events: EventStore,
  ) {}

  async execute(command: IssueTokenCommand): Promise<IssuedToken> {
    const ownerRole = await this.roleOf(command.tenantId, command.ownerId);
    const now = new Date().toISOString();
    const secret = generateSecret('personalApiToken');
    const { hash, keyId } = this.hasher.hash(secret);
    const tokenId = randomUUID();
    const result = await this.runner.run(
      streamName('personalTokens', command.ownerId),
      withAuthority(personalTokensDecider, command.context.caller, personalTokenAuthorityNeeds(ownerRole)),
      {
        type: 'IssueToken',
        tenantId: command.tenantId,
        ownerId: command.ownerId,
        tokenId,
        label: command.label,
        scope: command.scope,
        secretHash: hash,
        hashKeyId: keyId,
        hint: secretHint(secret),
        expiresAt: command.expiresAt,
        idempotency: command.idempotencyKey
          ? { key: command.idempotencyKey, requestFingerprint: fingerprint(command) }
          : null,
        now,
      },
      { ...command.context, tenantId: command.tenantId, now },
    );
    if (result.events.length > 0) return { ownerId: command.ownerId, token: result.state.tokens[tokenId], secret };
    // Accepted with no new event: a retry of an earlier request with the same idempotency key.
    // It gets that token back without its secret, which was shown once.
    const earlier = tokenIssuedWithIdempotencyKey(result.state, command.idempotencyKey ?? '');
    if (!earlier) throw new Error('An idempotent replay found no earlier token');
    return { ownerId: command.ownerId, token: earlier, secret: null };
  }

  /** The owner's role as the log has it now, which the token's rights are computed from. */
  private async roleOf(tenantId: string, userId: string) {
    const { state: tenancy } = await readFolded(this.events, streamName('tenant', tenantId), tenancyDecider);
    const user = tenancy.status === 'active' ? tenancy.users.get(userId) : undefined;
    if (!user) throw new Problem('not-found', 'User not found.');
    return user.role;
  }
}

/** Same key, same request: the fingerprint decides whether a retry is the same request. */
const fingerprint = (command: IssueTokenCommand) =>
  createHash('sha256')
    .update(JSON.stringify([command.label, command.scope, command.expiresAt]))
    .digest('base64url');

@CommandHandler(RevokeTokenCommand)
export class RevokeTokenHandler implements ICommandHandler<RevokeTokenCommand> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly personalTokens: PersonalTokenIndex,
    private readonly credentials: CredentialIndexService,
  ) {}

  async execute({ principal, tokenId, reason, context }: RevokeTokenCommand): Promise<OwnedToken> {
    const token = this.personalTokens.ownerOf(tokenId);
    const own = token?.ownerId === principal.actor.id;
    // Another tenant's token, or one the caller may not even read, does not exist for the caller.
    if (!token || token.tenantId !== principal.tenantId || (!own && !principal.permissions.has('tokens:read_all'))) {
      throw new Problem('not-found', 'Token not found.');
    }
    const needed = own ? 'tokens:write' : 'tokens:revoke_all';
    if (!principal.permissions.has(needed)) {
      throw new Problem('forbidden', `Revoking this token needs '${needed}'.`);
    }
    const now = new Date().toISOString();
    const result = await this.runner.run(
      streamName('personalTokens', token.ownerId),
      personalTokensDecider,
      { type: 'RevokeToken', tokenId, revokedBy: principal.actor.id, reason, now },
      { ...context, tenantId: principal.tenantId, now },
    );
    await this.credentials.confirmRevocation(result.position);
    return { ownerId: token.ownerId, token: result.state.tokens[tokenId] };
  }
}
