import { accept, assertNever, Decider, reject } from '../shared/decider';
import { Rejection } from '../shared/rejection';
import { AuthorityNeeds } from '../shared/authority';
import { integrationPermissions, isIntegrationResource, ResourceAccess } from './resources';

/**
 * Integrations in the commerce style: a named third party with a contact, a callback URL and an
 * identity link URL, given access to all of the API's resources or a chosen list. Saved
 * inactive; activating issues four secrets (consumer key and secret, access token and secret)
 * shown once; reauthorizing replaces the access token and its secret, the old ones dead at once.
 *
 * All of a tenant's integrations share one stream (`integrations-<tenant id>`), so that "a name
 * is unique among the tenant's integrations" is enforced by optimistic concurrency. Only keyed
 * hashes of the secrets are stored.
 */

/** A secret as stored: its keyed hash (HMAC-SHA-256), the hash key's id, and a non-secret hint. */
export type HashedSecret = { readonly hash: string; readonly hashKeyId: string; readonly hint: string };

/** The access token, the one secret that authenticates API calls, has an id of its own. */
export type IssuedAccessToken = HashedSecret & { readonly id: string };

export type IntegrationCreated = {
  type: 'IntegrationCreated';
  data: {
    tenantId: string;
    integrationId: string;
    name: string;
    email: string;
    callbackUrl: string | null;
    identityLinkUrl: string | null;
    /** True while either URL is not https: a warning shown with the integration. */
    insecure: boolean;
    resourceAccess: ResourceAccess;
    resources: string[];
    createdAt: string;
    createdBy: string;
  };
};
export type IntegrationActivated = {
  type: 'IntegrationActivated';
  data: {
    tenantId: string;
    integrationId: string;
    consumerKey: HashedSecret;
    consumerSecret: HashedSecret;
    accessToken: IssuedAccessToken;
    accessTokenSecret: HashedSecret;
    activatedAt: string;
    activatedBy: string;
  };
};
export type IntegrationReauthorized = {
  type: 'IntegrationReauthorized';
  data: {
    tenantId: string;
    integrationId: string;
    accessToken: IssuedAccessToken;
    accessTokenSecret: HashedSecret;
    /** Stops working the moment this event is applied. */
    previousAccessTokenId: string;
    reauthorizedAt: string;
    reauthorizedBy: string;
  };
};
export type IntegrationDeleted = {
  type: 'IntegrationDeleted';
  data: { tenantId: string; integrationId: string; revokedAccessTokenId: string | null; deletedAt: string; deletedBy: string };
};
export type IntegrationEvent = IntegrationCreated | IntegrationActivated | IntegrationReauthorized | IntegrationDeleted;

export type CreateIntegration = {
  type: 'CreateIntegration';
  tenantId: string;
  integrationId: string;
  name: string;
  email: string;
  callbackUrl: string | null;
  identityLinkUrl: string | null;
  resourceAccess: ResourceAccess;
  resources: readonly string[];
  createdBy: string;
  now: string;
};
export type ActivateIntegration = {
  type: 'ActivateIntegration';
  integrationId: string;
  consumerKey: HashedSecret;
  consumerSecret: HashedSecret;
  accessToken: IssuedAccessToken;
  accessTokenSecret: HashedSecret;
  activatedBy: string;
  now: string;
};
export type ReauthorizeIntegration = {
  type: 'ReauthorizeIntegration';
  integrationId: string;
  accessToken: IssuedAccessToken;
  accessTokenSecret: HashedSecret;
  reauthorizedBy: string;
  now: string;
};
export type DeleteIntegration = { type: 'DeleteIntegration'; integrationId: string; deletedBy: string; now: string };
export type IntegrationCommand = CreateIntegration | ActivateIntegration | ReauthorizeIntegration | DeleteIntegration;

export type IntegrationRejection = Rejection<
  | 'IntegrationNameTaken'
  | 'UnknownResource'
  | 'ResourcesMismatch'
  | 'InvalidUrl'
  | 'TooManyIntegrations'
  | 'IntegrationNotFound'
  | 'IntegrationDeleted'
  | 'IntegrationAlreadyActive'
  | 'IntegrationNotActive'
>;

type IntegrationFacts = {
  readonly integrationId: string;
  readonly name: string;
  readonly email: string;
  readonly callbackUrl: string | null;
  readonly identityLinkUrl: string | null;
  readonly insecure: boolean;
  readonly resourceAccess: ResourceAccess;
  readonly resources: readonly string[];
  readonly createdAt: string;
};
export type Integration =
  | (IntegrationFacts & { readonly status: 'inactive' })
  | (IntegrationFacts & { readonly status: 'active'; readonly accessTokenId: string; readonly activatedAt: string })
  | (IntegrationFacts & { readonly status: 'deleted'; readonly deletedAt: string });

export type IntegrationsState = {
  readonly tenantId: string | null;
  readonly integrations: Readonly<Record<string, Integration>>;
};

/** Bounds one tenant's stream. */
export const MAX_INTEGRATIONS_PER_TENANT = 100;

const sameName = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** An absolute http(s) URL without credentials in it; anything else is not a URL we keep. */
const urlProtocol = (url: string): 'http:' | 'https:' | null => {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password || !parsed.hostname) return null;
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.protocol : null;
  } catch {
    return null;
  }
};

/** Insecure while either URL given is not https. */
export const isInsecure = (callbackUrl: string | null, identityLinkUrl: string | null): boolean =>
  [callbackUrl, identityLinkUrl].some((url) => url !== null && urlProtocol(url) !== 'https:');

const notFound = () => reject<IntegrationRejection>({ code: 'IntegrationNotFound', message: 'Integration not found.' });
const deleted = () => reject<IntegrationRejection>({ code: 'IntegrationDeleted', message: 'The integration was deleted.' });

const decideCreate = (command: CreateIntegration, state: IntegrationsState) => {
  const bad = (['callbackUrl', 'identityLinkUrl'] as const).filter((field) => command[field] !== null && urlProtocol(command[field]!) === null);
  if (bad.length > 0) {
    return reject<IntegrationRejection>({ code: 'InvalidUrl', message: `${bad.join(' and ')} must be absolute http(s) URLs without credentials.` });
  }
  const unknown = command.resources.filter((name) => !isIntegrationResource(name));
  if (unknown.length > 0) {
    return reject<IntegrationRejection>({
      code: 'UnknownResource',
      message: `Unknown resources: ${unknown.map((name) => `'${name}'`).join(', ')}; see GET /v1/integrations/resources.`,
    });
  }
  if (command.resourceAccess === 'custom' && command.resources.length === 0) {
    return reject<IntegrationRejection>({ code: 'ResourcesMismatch', message: "Custom resource access needs at least one resource." });
  }
  if (command.resourceAccess === 'all' && command.resources.length > 0) {
    return reject<IntegrationRejection>({ code: 'ResourcesMismatch', message: "Resource access 'all' takes no list of resources." });
  }
  const existing = Object.values(state.integrations).filter((integration) => integration.status !== 'deleted');
  if (existing.some((integration) => sameName(integration.name, command.name))) {
    return reject<IntegrationRejection>({ code: 'IntegrationNameTaken', message: `An integration named '${command.name}' already exists.` });
  }
  if (existing.length >= MAX_INTEGRATIONS_PER_TENANT) {
    return reject<IntegrationRejection>({
      code: 'TooManyIntegrations',
      message: `A tenant may have at most ${MAX_INTEGRATIONS_PER_TENANT} integrations; delete one first.`,
    });
  }
  return accept<IntegrationEvent>({
    type: 'IntegrationCreated',
    data: {
      tenantId: command.tenantId,
      integrationId: command.integrationId,
      name: command.name,
      email: command.email,
      callbackUrl: command.callbackUrl,
      identityLinkUrl: command.identityLinkUrl,
      insecure: isInsecure(command.callbackUrl, command.identityLinkUrl),
      resourceAccess: command.resourceAccess,
      resources: [...new Set(command.resources)],
      createdAt: command.now,
      createdBy: command.createdBy,
    },
  });
};

const decideActivate = (command: ActivateIntegration, state: IntegrationsState) => {
  const integration = state.integrations[command.integrationId];
  if (!integration || !state.tenantId) return notFound();
  switch (integration.status) {
    case 'deleted':
      return deleted();
    case 'active':
      return reject<IntegrationRejection>({
        code: 'IntegrationAlreadyActive',
        message: 'The integration is already active; reauthorize it to get a new access token.',
      });
    case 'inactive':
      return accept<IntegrationEvent>({
        type: 'IntegrationActivated',
        data: {
          tenantId: state.tenantId,
          integrationId: command.integrationId,
          consumerKey: command.consumerKey,
          consumerSecret: command.consumerSecret,
          accessToken: command.accessToken,
          accessTokenSecret: command.accessTokenSecret,
          activatedAt: command.now,
          activatedBy: command.activatedBy,
        },
      });
    default:
      return assertNever(integration);
  }
};

const decideReauthorize = (command: ReauthorizeIntegration, state: IntegrationsState) => {
  const integration = state.integrations[command.integrationId];
  if (!integration || !state.tenantId) return notFound();
  switch (integration.status) {
    case 'deleted':
      return deleted();
    case 'inactive':
      return reject<IntegrationRejection>({ code: 'IntegrationNotActive', message: 'Only an active integration can be reauthorized; activate it first.' });
    case 'active':
      return accept<IntegrationEvent>({
        type: 'IntegrationReauthorized',
        data: {
          tenantId: state.tenantId,
          integrationId: command.integrationId,
          accessToken: command.accessToken,
          accessTokenSecret: command.accessTokenSecret,
          previousAccessTokenId: integration.accessTokenId,
          reauthorizedAt: command.now,
          reauthorizedBy: command.reauthorizedBy,
        },
      });
    default:
      return assertNever(integration);
  }
};

const decideDelete = (command: DeleteIntegration, state: IntegrationsState) => {
  const integration = state.integrations[command.integrationId];
  if (!integration || !state.tenantId) return notFound();
  // Final and idempotent, like revocation.
  if (integration.status === 'deleted') return accept<IntegrationEvent>();
  return accept<IntegrationEvent>({
    type: 'IntegrationDeleted',
    data: {
      tenantId: state.tenantId,
      integrationId: command.integrationId,
      revokedAccessTokenId: integration.status === 'active' ? integration.accessTokenId : null,
      deletedAt: command.now,
      deletedBy: command.deletedBy,
    },
  });
};

const decide = (command: IntegrationCommand, state: IntegrationsState) => {
  switch (command.type) {
    case 'CreateIntegration':
      return decideCreate(command, state);
    case 'ActivateIntegration':
      return decideActivate(command, state);
    case 'ReauthorizeIntegration':
      return decideReauthorize(command, state);
    case 'DeleteIntegration':
      return decideDelete(command, state);
    default:
      return assertNever(command);
  }
};

const facts = (integration: Integration): IntegrationFacts => ({
  integrationId: integration.integrationId,
  name: integration.name,
  email: integration.email,
  callbackUrl: integration.callbackUrl,
  identityLinkUrl: integration.identityLinkUrl,
  insecure: integration.insecure,
  resourceAccess: integration.resourceAccess,
  resources: integration.resources,
  createdAt: integration.createdAt,
});

const evolve = (state: IntegrationsState, event: IntegrationEvent): IntegrationsState => {
  const put = (integration: Integration): IntegrationsState => ({
    tenantId: state.tenantId ?? event.data.tenantId,
    integrations: { ...state.integrations, [integration.integrationId]: integration },
  });
  const current = state.integrations[event.data.integrationId];
  switch (event.type) {
    case 'IntegrationCreated': {
      const { tenantId: _tenantId, createdBy: _createdBy, ...created } = event.data;
      return put({ ...created, status: 'inactive' });
    }
    case 'IntegrationActivated':
      if (!current) return state;
      return put({ ...facts(current), status: 'active', accessTokenId: event.data.accessToken.id, activatedAt: event.data.activatedAt });
    case 'IntegrationReauthorized':
      if (!current || current.status !== 'active') return state;
      return put({ ...current, accessTokenId: event.data.accessToken.id });
    case 'IntegrationDeleted':
      if (!current) return state;
      return put({ ...facts(current), status: 'deleted', deletedAt: event.data.deletedAt });
    default:
      return assertNever(event);
  }
};

export const integrationsDecider: Decider<IntegrationsState, IntegrationCommand, IntegrationEvent, IntegrationRejection> = {
  initialState: () => ({ tenantId: null, integrations: {} }),
  decide,
  evolve,
};

/** Creating, activating or reauthorizing an integration hands out (the power of) its resources. */
export const integrationAuthorityNeeds: AuthorityNeeds<IntegrationsState, IntegrationCommand> = (command, state) => {
  switch (command.type) {
    case 'CreateIntegration':
      return integrationPermissions(command.resourceAccess, command.resources);
    case 'ActivateIntegration':
    case 'ReauthorizeIntegration': {
      const integration = state.integrations[command.integrationId];
      return integration ? integrationPermissions(integration.resourceAccess, integration.resources) : [];
    }
    case 'DeleteIntegration':
      return [];
    default:
      return assertNever(command);
  }
};
