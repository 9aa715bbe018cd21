import { assertNever, DEFAULT_TENANT_SETTINGS, INTEGRATION_EVENTS, ResourceAccess, TENANT_SETTINGS_EVENTS } from '@keyhold/domain';
import { RecordedEvent } from '@keyhold/event-store';
import { patchIfNewer } from '../projection/patch-if-newer';
import { Projection } from '../projection/projection-runner';
import { CollectionDefinition, ReadModelDocument, ReadModelStore } from '../read-model-store.port';

/** An integration as admins see it: hints of its secrets at most, never a secret or its hash. */
export type IntegrationView = ReadModelDocument & {
  id: string;
  tenantId: string;
  name: string;
  email: string;
  callbackUrl: string | null;
  identityLinkUrl: string | null;
  insecure: boolean;
  resourceAccess: ResourceAccess;
  resources: string[];
  /** `activating`: the consumer credentials went to the callback URL; the OAuth 1.0a handshake runs. */
  status: 'inactive' | 'activating' | 'active' | 'deleted';
  /** Lists show integrations that are not deleted: a field to filter on. */
  deleted: boolean;
  /** Hints (prefix and last four characters) of the secrets issued, once activated. */
  hints: { consumerKey: string; consumerSecret: string; accessToken: string; accessTokenSecret: string } | null;
  accessTokenId: string | null;
  createdAt: string;
  createdBy: string;
  activatedAt: string | null;
  reauthorizedAt: string | null;
  /** When the admin came back from the identity link after the handshake (absent on older documents). */
  confirmedAt?: string | null;
  deletedAt: string | null;
  /**
   * The revision of the tenant's integrations stream at the event that last changed this
   * integration (absent on documents written before views kept it). Every event of that stream
   * is about one integration, so the highest over the tenant's integrations is the stream's
   * revision: an integration's ETag, without a log read.
   */
  streamRevision?: number;
};

export const INTEGRATIONS: CollectionDefinition = {
  name: 'integrations',
  indexes: [
    ['tenantId', 'deleted', 'createdAt'],
    ['tenantId', 'streamRevision'],
  ],
};

export const integrationsProjection = (readModels: ReadModelStore): Projection => {
  const integrations = readModels.collection<IntegrationView>(INTEGRATIONS);
  return {
    name: 'integrations',
    async apply(event: RecordedEvent) {
      if (!INTEGRATION_EVENTS.includes(event)) return;
      const streamRevision = event.streamRevision;
      switch (event.type) {
        case 'IntegrationCreated': {
          const { integrationId, tenantId, name, email, callbackUrl, identityLinkUrl, insecure, resourceAccess, resources, createdAt, createdBy } =
            event.data;
          await integrations.putIfNewer(
            {
              id: integrationId,
              tenantId,
              name,
              email,
              callbackUrl,
              identityLinkUrl,
              insecure,
              resourceAccess,
              resources,
              status: 'inactive',
              deleted: false,
              hints: null,
              accessTokenId: null,
              createdAt,
              createdBy,
              activatedAt: null,
              reauthorizedAt: null,
              deletedAt: null,
              streamRevision,
            },
            event.globalPosition,
          );
          return;
        }
        case 'IntegrationActivated': {
          const integration = await integrations.get(event.data.integrationId);
          if (!integration) return;
          const { consumerKey, consumerSecret, accessToken, accessTokenSecret, activatedAt } = event.data;
          await integrations.putIfNewer(
            {
              ...integration,
              status: 'active',
              hints: { consumerKey: consumerKey.hint, consumerSecret: consumerSecret.hint, accessToken: accessToken.hint, accessTokenSecret: accessTokenSecret.hint },
              accessTokenId: accessToken.id,
              activatedAt,
              streamRevision,
            },
            event.globalPosition,
          );
          return;
        }
        case 'IntegrationActivationStarted': {
          const integration = await integrations.get(event.data.integrationId);
          if (!integration) return;
          await integrations.putIfNewer({ ...integration, status: 'activating', streamRevision }, event.globalPosition);
          return;
        }
        case 'IntegrationActivationConfirmed': {
          const integration = await integrations.get(event.data.integrationId);
          if (!integration) return;
          await integrations.putIfNewer({ ...integration, confirmedAt: event.data.confirmedAt, streamRevision }, event.globalPosition);
          return;
        }
        case 'IntegrationReauthorized': {
          const integration = await integrations.get(event.data.integrationId);
          if (!integration) return;
          const { accessToken, accessTokenSecret, reauthorizedAt } = event.data;
          // Never activated (no hints): nothing shown changes, the stream's revision still moves.
          await integrations.putIfNewer(
            integration.hints
              ? {
                  ...integration,
                  hints: { ...integration.hints, accessToken: accessToken.hint, accessTokenSecret: accessTokenSecret.hint },
                  accessTokenId: accessToken.id,
                  reauthorizedAt,
                  streamRevision,
                }
              : { ...integration, streamRevision },
            event.globalPosition,
          );
          return;
        }
        case 'IntegrationDeleted': {
          const integration = await integrations.get(event.data.integrationId);
          if (!integration) return;
          await integrations.putIfNewer(
            { ...integration, status: 'deleted', deleted: true, accessTokenId: null, deletedAt: event.data.deletedAt, streamRevision },
            event.globalPosition,
          );
          return;
        }
        case 'IntegrationCallbackDelivered':
        case 'IntegrationCallbackFailed':
        case 'IntegrationRequestTokenIssued':
          // Shown nowhere in the view, but they move the stream's revision: the ETag.
          return patchIfNewer(integrations, event.data.integrationId, event.globalPosition, () => ({ streamRevision }));
        default:
          return assertNever(event);
      }
    },
  };
};

/** One document per tenant that changed a setting; a tenant without one has the defaults. */
export type TenantSettingsView = ReadModelDocument & {
  id: string;
  allowAnonymousGuestAccess: boolean;
  /** Null: no maximum of the tenant's own, the service-wide one applies. */
  clientSecretMaxLifetimeDays: number | null;
  updatedAt: string;
  updatedBy: string;
};

export const TENANT_SETTINGS: CollectionDefinition = { name: 'tenant_settings', indexes: [] };

/** A document written before a setting existed reads with that setting's default. */
const withDefaults = (tenantId: string, current: TenantSettingsView | null) => ({ ...DEFAULT_TENANT_SETTINGS, ...current, id: tenantId });

export const tenantSettingsProjection = (readModels: ReadModelStore): Projection => {
  const settings = readModels.collection<TenantSettingsView>(TENANT_SETTINGS);
  return {
    name: 'tenant-settings',
    async apply(event: RecordedEvent) {
      if (!TENANT_SETTINGS_EVENTS.includes(event)) return;
      switch (event.type) {
        case 'AnonymousGuestAccessChanged': {
          const { tenantId, allowed, changedAt, changedBy } = event.data;
          const current = await settings.get(tenantId);
          await settings.putIfNewer(
            { ...withDefaults(tenantId, current), allowAnonymousGuestAccess: allowed, updatedAt: changedAt, updatedBy: changedBy },
            event.globalPosition,
          );
          return;
        }
        case 'ClientSecretMaxLifetimeChanged': {
          const { tenantId, maxDays, changedAt, changedBy } = event.data;
          const current = await settings.get(tenantId);
          await settings.putIfNewer(
            { ...withDefaults(tenantId, current), clientSecretMaxLifetimeDays: maxDays, updatedAt: changedAt, updatedBy: changedBy },
            event.globalPosition,
          );
          return;
        }
        default:
          return assertNever(event);
      }
    },
  };
};
