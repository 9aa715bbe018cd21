import {
  hasExpired,
  API_CLIENT_EVENTS,
  apiClientDecider,
  assertNever,
  CONNECTION_EVENTS,
  connectionDecider,
  fold,
  INTEGRATION_EVENTS,
  integrationsDecider,
  PERSONAL_TOKEN_EVENTS,
  personalTokensDecider,
  permissionsResetPending,
  secretFieldsSet,
  SERVICE_ACCOUNT_EVENTS,
  serviceAccountDecider,
  personalTokenStatus,
  USER_GRANT_EVENTS,
  userGrantDecider,
} from '@keyhold/domain';
import { RecordedEvent } from '@keyhold/event-store';
import { secretsSetFor } from '../connections/connection-details';
import { detailsOfIntegration } from '../integrations/integration-details';

/** The kinds of credential whose state at a past instant can be rebuilt from their events. */
export const CREDENTIAL_KINDS = ['personal_api_token', 'service_account', 'api_client', 'connection', 'integration', 'user_grant'] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

/** A credential's state as auditors may see it: built field by field, so no secret material can slip in. */
export type PublicCredentialState = Record<string, unknown>;

/**
 * The events of a stream that had happened by `at`. A stream is one consistency boundary, so its
 * states are its prefixes: the fold stops at the first later event rather than skipping it.
 */
export const eventsUpTo = (events: readonly RecordedEvent[], at: string): RecordedEvent[] => {
  const later = events.findIndex((event) => event.metadata.occurredAt > at);
  return later < 0 ? [...events] : events.slice(0, later);
};

/**
 * Folds a credential's stream through its aggregate's own `evolve` and keeps what the REST API
 * already shows (hints included, never a hash, ciphertext or data key id). Null when the
 * credential did not exist in that stream or belongs to another tenant.
 */
export const publicCredentialState = (
  kind: CredentialKind,
  id: string,
  tenantId: string,
  events: readonly RecordedEvent[],
  at: string,
): PublicCredentialState | null => {
  switch (kind) {
    case 'personal_api_token': {
      const state = fold(personalTokensDecider, PERSONAL_TOKEN_EVENTS.pick(events));
      const token = state.tokens.get(id);
      if (!token || state.owner?.tenantId !== tenantId) return null;
      return {
        ownerId: state.owner.ownerId,
        label: token.label,
        scope: token.scope,
        hint: token.hint,
        status: personalTokenStatus(token, at),
        issuedAt: token.issuedAt,
        expiresAt: token.expiresAt,
        revokedAt: token.status === 'revoked' ? token.revokedAt : null,
        revokedBy: token.status === 'revoked' ? token.revokedBy : null,
      };
    }
    case 'service_account': {
      const state = fold(serviceAccountDecider, SERVICE_ACCOUNT_EVENTS.pick(events));
      if (state.status === 'none' || state.tenantId !== tenantId || state.accountId !== id) return null;
      return {
        status: state.status,
        permissions: [...state.permissions],
        projects: [...state.projects],
        permissionsResetPending: permissionsResetPending(state),
        secretGeneration: state.secretGeneration,
        sunsetAt: state.sunsetAt,
      };
    }
    case 'api_client': {
      const state = fold(apiClientDecider, API_CLIENT_EVENTS.pick(events));
      if (state.status === 'none' || state.tenantId !== tenantId || state.clientId !== id) return null;
      return {
        status: state.status,
        name: state.name,
        createdAt: state.createdAt,
        flows: { ...state.flows, clientCredentialsRoles: [...state.flows.clientCredentialsRoles] },
        redirectUris: [...state.redirectUris],
        secrets: state.secrets.map(({ secretId, status, expiresAt }) => ({ secretId, status, expiresAt })),
      };
    }
    case 'connection': {
      const state = fold(connectionDecider, CONNECTION_EVENTS.pick(events));
      if (state.status === 'none' || state.tenantId !== tenantId || state.connectionId !== id) return null;
      if (state.status === 'deleted') return { status: state.status, deletedAt: state.deletedAt };
      return {
        status: state.status,
        name: state.name,
        service: state.service,
        allowedDomains: [...state.allowedDomains],
        credential: { ...state.credential, secretsSet: secretsSetFor(state.credential.type, secretFieldsSet(state.secrets)) },
        createdAt: state.createdAt,
        updatedAt: state.updatedAt,
      };
    }
    case 'integration': {
      const state = fold(integrationsDecider, INTEGRATION_EVENTS.pick(events));
      const integration = state.integrations.get(id);
      if (!integration || state.tenantId !== tenantId) return null;
      return {
        ...detailsOfIntegration(integration),
        activatedAt: integration.status === 'active' ? integration.activatedAt : null,
        deletedAt: integration.status === 'deleted' ? integration.deletedAt : null,
      };
    }
    case 'user_grant': {
      const state = fold(userGrantDecider, USER_GRANT_EVENTS.pick(events));
      if (state.status === 'none' || state.ids.tenantId !== tenantId || state.ids.grantId !== id) return null;
      return {
        userId: state.ids.userId,
        clientId: state.ids.clientId,
        consent: state.consent === null ? null : [...state.consent],
        families: [...state.families].map(([familyId, family]) => ({
          familyId,
          status: family.revoked ? 'revoked' : hasExpired(family.expiresAt, at) ? 'expired' : 'active',
          scope: [...family.scope],
          accessTokenIds: [...family.accessTokenIds],
          expiresAt: family.expiresAt,
        })),
      };
    }
    default:
      return assertNever(kind);
  }
};
