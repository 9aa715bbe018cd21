import { createHash, randomUUID } from 'node:crypto';
import {
  personalTokenAuthorityNeeds,
  personalTokensDecider,
  streamName,
  TENANCY_EVENTS,
  tenancyDecider,
  tokenIssuedWithIdempotencyKey,
  TokenScope,
  withAuthority,
} from '@keyhold/domain';
import { EventStore } from '@keyhold/event-store';
import { generateSecret, SecretHasher, secretHint } from '@keyhold/crypto';
import { ApplicationError, rejectionOf } from '../application-error';
import { CommandPipeline, RequestContext } from '../command-pipeline';
import { readState } from '../read-state';
import { OwnedToken } from './token-details';

export type IssueTokenInput = {
  readonly tenantId: string;
  readonly ownerId: string;
  readonly label: string;
  readonly scope: TokenScope;
  /** ISO 8601 instant; null for no expiry. */
  readonly expiresAt: string | null;
  /** Retries with the same key issue no second token. */
  readonly idempotencyKey: string | null;
  readonly context: RequestContext;
};

/** `secret` only when this very call created the token: a retry gets the earlier token without it. */
export type IssuedToken = OwnedToken & { readonly secret: string | null };

/**
 * Issues a personal token to its owner. Its rights are the owner's role ∩ its scope, computed at
 * verification, and authority never grows: the credential asking must hold all of that already
 * (a read_write personal token always does; an app's narrower grant may not mint a wider token).
 */
export class IssuePersonalToken {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly events: EventStore,
    private readonly hasher: SecretHasher,
  ) {}

  async execute(input: IssueTokenInput): Promise<IssuedToken> {
    const ownerRole = await this.roleOf(input.tenantId, input.ownerId);
    const now = new Date().toISOString();
    const secret = generateSecret('personalApiToken');
    const { hash, keyId } = this.hasher.hash(secret);
    const tokenId = randomUUID();
    const decider = withAuthority(personalTokensDecider, input.context.caller, personalTokenAuthorityNeeds(ownerRole));
    const command = {
      type: 'IssueToken' as const,
      tenantId: input.tenantId,
      ownerId: input.ownerId,
      tokenId,
      label: input.label,
      scope: input.scope,
      secretHash: hash,
      hashKeyId: keyId,
      hint: secretHint(secret),
      expiresAt: input.expiresAt,
      idempotency: input.idempotencyKey ? { key: input.idempotencyKey, requestFingerprint: fingerprint(input) } : null,
      now,
    };
    const result = await this.commands
      .run(streamName('personalTokens', input.ownerId), decider, command, { ...input.context, tenantId: input.tenantId, now })
      .catch((error: unknown) => {
        const rejection = rejectionOf(error);
        // The credential asking is the owner's own: a token wider than it is a permission it lacks.
        if (rejection?.code !== 'AuthorityExceeded') throw error;
        throw ApplicationError.forbidden(`A ${input.scope} token would carry ${rejection.missing.map((p) => `'${p}'`).join(', ')}, which this credential does not hold.`);
      });
    if (result.events.length > 0) {
      const token = result.state.tokens.get(tokenId);
      if (!token) throw new Error('An issued token is missing from its stream state');
      return { ownerId: input.ownerId, token, secret };
    }
    // Accepted with no new event: a retry of an earlier request with the same idempotency key.
    // It gets that token back without its secret, which was shown once.
    const earlier = tokenIssuedWithIdempotencyKey(result.state, input.idempotencyKey ?? '');
    if (!earlier) throw new Error('An idempotent replay found no earlier token');
    return { ownerId: input.ownerId, token: earlier, secret: null };
  }

  /** The owner's role as the log has it now, which the token's rights are computed from. */
  private async roleOf(tenantId: string, userId: string) {
    const { state: tenancy } = await readState(this.events, streamName('tenant', tenantId), tenancyDecider, TENANCY_EVENTS);
    const user = tenancy.status === 'active' ? tenancy.users.get(userId) : undefined;
    if (!user) throw ApplicationError.notFound('User not found.');
    return user.role;
  }
}

/** Same key, same request: the fingerprint decides whether a retry is the same request. */
const fingerprint = (input: IssueTokenInput) =>
  createHash('sha256')
    .update(JSON.stringify([input.label, input.scope, input.expiresAt]))
    .digest('base64url');
