import { assertNever, USER_GRANT_EVENTS } from '@keyhold/domain';
import { RecordedEvent } from '@keyhold/event-store';
import { patchIfNewer } from '../projection/patch-if-newer';
import { Projection } from '../projection/projection-runner';
import { CollectionDefinition, ReadModelDocument, ReadModelStore } from '../read-model-store.port';

/** An access token a person obtained through an OAuth client: ids and status, never the token or its hash. */
export type UserAccessTokenView = ReadModelDocument & {
  id: string;
  tenantId: string;
  userId: string;
  clientId: string;
  grantId: string;
  status: 'active' | 'revoked';
  issuedAt: string;
  expiresAt: string;
};

export const USER_ACCESS_TOKENS: CollectionDefinition = { name: 'user_access_tokens', indexes: [['tenantId', 'userId', 'issuedAt']] };

/** Lets a stale node confirm a person's access token from the read model, as it does for other kinds. */
export const userAccessTokensProjection = (readModels: ReadModelStore): Projection => {
  const tokens = readModels.collection<UserAccessTokenView>(USER_ACCESS_TOKENS);
  return {
    name: 'user-access-tokens',
    async apply(event: RecordedEvent) {
      if (!USER_GRANT_EVENTS.includes(event)) return;
      switch (event.type) {
        case 'UserTokensIssued': {
          const { accessTokenId, tenantId, userId, clientId, grantId, issuedAt, expiresAt } = event.data;
          await tokens.putIfNewer({ id: accessTokenId, tenantId, userId, clientId, grantId, status: 'active', issuedAt, expiresAt }, event.globalPosition);
          return;
        }
        case 'UserTokensRevoked':
          for (const tokenId of event.data.accessTokenIds) await patchIfNewer(tokens, tokenId, event.globalPosition, () => ({ status: 'revoked' as const }));
          return;
        case 'ConsentGranted':
        case 'ConsentWithdrawn':
        case 'AuthorizationCodeIssued':
        case 'AuthorizationCodeReplayed':
        case 'RefreshTokenReused':
          return;
        default:
          return assertNever(event);
      }
    },
  };
};
