import { assertNever, PERSONAL_TOKEN_EVENTS, TokenScope } from '@keyhold/domain';
import { RecordedEvent } from '@keyhold/event-store';
import { patchIfNewer } from '../projection/patch-if-newer';
import { Projection } from '../projection/projection-runner';
import { CollectionDefinition, ReadModelDocument, ReadModelStore } from '../read-model-store.port';

/** A personal API token as tenant admins and owners see it: every field here is safe to show. */
export type TokenView = ReadModelDocument & {
  id: string;
  tenantId: string;
  ownerId: string;
  label: string;
  scope: TokenScope;
  hint: string;
  status: 'active' | 'revoked';
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
  revocationReason: string | null;
  /**
   * The revision of the owner's stream at the event that last changed this token (absent on
   * documents written before views kept it). Every event of that stream changes one token, so
   * the highest over the owner's tokens is the stream's revision: their ETag, without a log read.
   */
  streamRevision?: number;
};

export const TOKENS: CollectionDefinition = {
  name: 'tokens',
  indexes: [
    ['tenantId', 'ownerId', 'createdAt'],
    ['tenantId', 'createdAt'],
    ['ownerId', 'streamRevision'],
  ],
};

/** Last use is written straight to the read model, in batches, never as events: see UsageRecorder. */
export type TokenUsageView = ReadModelDocument & { id: string; lastUsedAt: string };
export const TOKEN_USAGE: CollectionDefinition = { name: 'token_usage', indexes: [] };

export const tokensProjection = (readModels: ReadModelStore): Projection => {
  const tokens = readModels.collection<TokenView>(TOKENS);
  return {
    name: 'tokens',
    async apply(event: RecordedEvent) {
      if (!PERSONAL_TOKEN_EVENTS.includes(event)) return;
      switch (event.type) {
        case 'TokenIssued': {
          const { tokenId, tenantId, ownerId, label, scope, hint, issuedAt, expiresAt } = event.data;
          await tokens.putIfNewer(
            {
              id: tokenId,
              tenantId,
              ownerId,
              label,
              scope,
              hint,
              status: 'active',
              createdAt: issuedAt,
              expiresAt,
              revokedAt: null,
              revokedBy: null,
              revocationReason: null,
              streamRevision: event.streamRevision,
            },
            event.globalPosition,
          );
          return;
        }
        case 'TokenRevoked':
          return patchIfNewer(tokens, event.data.tokenId, event.globalPosition, () => ({
            status: 'revoked' as const,
            revokedAt: event.data.revokedAt,
            revokedBy: event.data.revokedBy,
            revocationReason: event.data.reason,
            streamRevision: event.streamRevision,
          }));
        default:
          return assertNever(event);
      }
    },
  };
};
