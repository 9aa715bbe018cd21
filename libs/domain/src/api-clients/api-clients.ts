import { accept, assertNever, Decider, reject } from '../shared/decider';
import { AuthorityNeeds } from '../shared/authority';
import { Permission, Role, ROLE_PERMISSIONS, ROLES } from '../shared/permissions';
import { Rejection } from '../shared/rejection';
import { StoredSecret } from '../service-accounts/service-accounts';

/**
 * Which OAuth 2.0 flows an API client may use. The authorization code flow is always allowed,
 * so it is not a flag; the client acts with the permissions of `clientCredentialsRoles` when
 * it authenticates as itself (client_credentials), and with none otherwise.
 */
export type ApiClientFlows = {
  readonly requirePkce: boolean;
  readonly refreshTokens: boolean;
  readonly password: boolean;
  readonly clientCredentials: boolean;
  readonly clientCredentialsRoles: readonly Role[];
};

export const DEFAULT_API_CLIENT_FLOWS: ApiClientFlows = {
  requirePkce: false,
  refreshTokens: false,
  password: false,
  clientCredentials: false,
  clientCredentialsRoles: [],
};

/** Live (active, unexpired) secrets at once: enough to rotate without downtime, few enough to audit. */
export const MAX_LIVE_CLIENT_SECRETS = 5;
export const MAX_REDIRECT_URIS = 20;
export const MAX_REDIRECT_URI_LENGTH = 2000;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * Why a redirect URI is refused, or null when it is acceptable: an absolute https URL (http only
 * for loopback hosts, RFC 8252 §7.3), without fragment (RFC 6749 §3.1.2) or user info. It is
 * kept exactly as given and compared exactly, so anything the URL parser would silently repair
 * (whitespace, backslashes, a missing `//`) is refused rather than normalised.
 */
export const redirectUriProblem = (uri: string): string | null => {
  if (uri.length === 0 || uri.length > MAX_REDIRECT_URI_LENGTH) return `must be 1 to ${MAX_REDIRECT_URI_LENGTH} characters`;
  if (/[\s\p{Cc}\\]/u.test(uri)) return 'must not contain whitespace, control characters or backslashes';
  if (uri.includes('#')) return 'must not contain a fragment';
  const authority = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/.exec(uri);
  if (!authority) return 'must be an absolute URL (scheme://host/...)';
  if (authority[2].includes('@')) return 'must not contain user information';
  if (authority[2].length === 0) return 'must name a host';
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return 'must be an absolute URL';
  }
  if (parsed.protocol === 'https:') return null;
  if (parsed.protocol === 'http:') return LOOPBACK_HOSTS.has(parsed.hostname) ? null : 'may use http only for a loopback host (127.0.0.1, [::1], localhost)';
  return 'must use https (or http for a loopback host)';
};

type Ids = { tenantId: string; clientId: string };

export type ApiClientCreated = { type: 'ApiClientCreated'; data: Ids & { name: string; flows: ApiClientFlows; createdAt: string } };
export type ApiClientRenamed = { type: 'ApiClientRenamed'; data: Ids & { name: string; renamedAt: string } };
export type ClientSecretAdded = {
  type: 'ClientSecretAdded';
  data: Ids & { secretId: string; secret: StoredSecret; expiresAt: string; addedAt: string };
};
export type ClientSecretRemoved = { type: 'ClientSecretRemoved'; data: Ids & { secretId: string; removedAt: string } };
/** Recorded once the secret's expiry instant has passed; authentication refused it from that instant already. */
export type ClientSecretExpired = { type: 'ClientSecretExpired'; data: Ids & { secretId: string; expiresAt: string; expiredAt: string } };
export type RedirectUriAdded = { type: 'RedirectUriAdded'; data: Ids & { uri: string; addedAt: string } };
export type RedirectUriRemoved = { type: 'RedirectUriRemoved'; data: Ids & { uri: string; removedAt: string } };
export type ApiClientFlowsChanged = { type: 'ApiClientFlowsChanged'; data: Ids & { flows: ApiClientFlows; changedAt: string } };
export type ApiClientDeleted = { type: 'ApiClientDeleted'; data: Ids & { deletedAt: string } };
export type ApiClientEvent =
  | ApiClientCreated
  | ApiClientRenamed
  | ClientSecretAdded
  | ClientSecretRemoved
  | ClientSecretExpired
  | RedirectUriAdded
  | RedirectUriRemoved
  | ApiClientFlowsChanged
  | ApiClientDeleted;

/** Creates the client with its first secret, so that the creator leaves with both halves of the credential. */
export type CreateApiClient = {
  type: 'CreateApiClient';
  tenantId: string;
  clientId: string;
  name: string;
  secretId: string;
  secret: StoredSecret;
  secretExpiresAt: string;
  now: string;
};
export type RenameApiClient = { type: 'RenameApiClient'; tenantId: string; name: string; now: string };
export type AddClientSecret = { type: 'AddClientSecret'; tenantId: string; secretId: string; secret: StoredSecret; expiresAt: string; now: string };
export type RemoveClientSecret = { type: 'RemoveClientSecret'; tenantId: string; secretId: string; now: string };
/** Issued by the expiry job; valid once the secret's expiry has passed, a no-op when already recorded. */
export type ExpireClientSecret = { type: 'ExpireClientSecret'; tenantId: string; secretId: string; now: string };
export type AddRedirectUri = { type: 'AddRedirectUri'; tenantId: string; uri: string; now: string };
export type RemoveRedirectUri = { type: 'RemoveRedirectUri'; tenantId: string; uri: string; now: string };
/** The settings named change, the others stay as they are: a replacement names them all. */
export type ChangeApiClientFlows = { type: 'ChangeApiClientFlows'; tenantId: string; flows: Partial<ApiClientFlows>; now: string };
export type DeleteApiClient = { type: 'DeleteApiClient'; tenantId: string; now: string };
export type ApiClientCommand =
  | CreateApiClient
  | RenameApiClient
  | AddClientSecret
  | RemoveClientSecret
  | ExpireClientSecret
  | AddRedirectUri
  | RemoveRedirectUri
  | ChangeApiClientFlows
  | DeleteApiClient;

export type ApiClientRejection = Rejection<
  | 'ApiClientExists'
  | 'ApiClientNotFound'
  | 'ClientSecretExists'
  | 'ClientSecretNotFound'
  | 'ClientSecretNotExpired'
  | 'SecretExpiryNotInFuture'
  | 'TooManyClientSecrets'
  | 'RedirectUriInvalid'
  | 'TooManyRedirectUris'
  | 'UnknownRole'
>;

export type ClientSecretStatus = 'active' | 'removed' | 'expired';
export type ClientSecretState = { readonly secretId: string; readonly status: ClientSecretStatus; readonly expiresAt: string };

export type ApiClientState =
  | { readonly status: 'none' }
  | {
      readonly status: 'active' | 'deleted';
      readonly tenantId: string;
      readonly clientId: string;
      readonly name: string;
      readonly createdAt: string;
      readonly flows: ApiClientFlows;
      readonly redirectUris: readonly string[];
      /** Every secret the client ever had, so that ids stay unique and removal stays idempotent. */
      readonly secrets: readonly ClientSecretState[];
    };

type Existing = Exclude<ApiClientState, { status: 'none' }>;

/**
 * A secret's status at `now`: expiry is a fact of time, so an active secret past its expiry
 * instant is expired from that instant, before the expiry job records it.
 */
export const clientSecretStatusAt = (secret: Pick<ClientSecretState, 'status' | 'expiresAt'>, now: string): ClientSecretStatus =>
  secret.status === 'active' && secret.expiresAt <= now ? 'expired' : secret.status;

/** Secrets that authenticate at `now`: active and not yet past their expiry. */
export const liveSecrets = (state: Existing, now: string): ClientSecretState[] => state.secrets.filter((secret) => clientSecretStatusAt(secret, now) === 'active');

/** Six months, as the product this comes from; never beyond the maximum in force. */
export const DEFAULT_CLIENT_SECRET_LIFETIME_DAYS = 180;

/** The service-wide maximum lifetime of a new secret, and the tenant's own when it set one (null: none). */
export type ClientSecretLifetimeLimits = { readonly serviceMaxDays: number; readonly tenantMaxDays: number | null };

export type ClientSecretLifetime =
  | { readonly outcome: 'accepted'; readonly days: number }
  /** `maximum` says whose maximum refused it: the tenant's (within the service's) or the service's. */
  | { readonly outcome: 'rejected'; readonly maxDays: number; readonly maximum: 'tenant' | 'service' };

/**
 * How long a new secret lives: as requested, or the six-month default; never beyond the maximum
 * in force, the service-wide one lowered by the tenant's. A default above it is lowered to it; a
 * request above it is refused, naming the maximum.
 */
export const clientSecretLifetime = (requestedDays: number | undefined, { serviceMaxDays, tenantMaxDays }: ClientSecretLifetimeLimits): ClientSecretLifetime => {
  const maxDays = tenantMaxDays === null ? serviceMaxDays : Math.min(tenantMaxDays, serviceMaxDays);
  if (requestedDays === undefined) return { outcome: 'accepted', days: Math.min(DEFAULT_CLIENT_SECRET_LIFETIME_DAYS, maxDays) };
  if (requestedDays > maxDays) return { outcome: 'rejected', maxDays, maximum: maxDays === tenantMaxDays ? 'tenant' : 'service' };
  return { outcome: 'accepted', days: requestedDays };
};

/** Roles deduplicated in a stable order, so that equal settings compare equal. */
export const normalizeFlows = (flows: ApiClientFlows): ApiClientFlows => ({
  requirePkce: flows.requirePkce,
  refreshTokens: flows.refreshTokens,
  password: flows.password,
  clientCredentials: flows.clientCredentials,
  clientCredentialsRoles: ROLES.filter((role) => flows.clientCredentialsRoles.includes(role)),
});

const definedOnly = <T extends object>(partial: Partial<T>): Partial<T> =>
  Object.fromEntries(Object.entries(partial).filter(([, value]) => value !== undefined)) as Partial<T>;

const sameFlows = (a: ApiClientFlows, b: ApiClientFlows) => JSON.stringify(normalizeFlows(a)) === JSON.stringify(normalizeFlows(b));

const notFound = () => reject<ApiClientRejection>({ code: 'ApiClientNotFound', message: 'API client not found.' });
const secretNotFound = () => reject<ApiClientRejection>({ code: 'ClientSecretNotFound', message: 'Client secret not found.' });

const ids = (state: Existing): Ids => ({ tenantId: state.tenantId, clientId: state.clientId });

const checkNewSecret = (state: Existing | null, secretId: string, expiresAt: string, now: string) => {
  if (expiresAt <= now) return reject<ApiClientRejection>({ code: 'SecretExpiryNotInFuture', message: 'A secret must expire in the future.' });
  if (state === null) return null;
  if (state.secrets.some((secret) => secret.secretId === secretId)) {
    return reject<ApiClientRejection>({ code: 'ClientSecretExists', message: 'A secret with this id already exists.' });
  }
  if (liveSecrets(state, now).length >= MAX_LIVE_CLIENT_SECRETS) {
    return reject<ApiClientRejection>({
      code: 'TooManyClientSecrets',
      message: `An API client holds at most ${MAX_LIVE_CLIENT_SECRETS} live secrets; remove one first.`,
    });
  }
  return null;
};

const decideOnExisting = (command: Exclude<ApiClientCommand, CreateApiClient>, state: Existing) => {
  switch (command.type) {
    case 'RenameApiClient':
      if (command.name === state.name) return accept<ApiClientEvent>();
      return accept<ApiClientEvent>({ type: 'ApiClientRenamed', data: { ...ids(state), name: command.name, renamedAt: command.now } });
    case 'AddClientSecret': {
      const refused = checkNewSecret(state, command.secretId, command.expiresAt, command.now);
      if (refused) return refused;
      const { secretId, secret, expiresAt, now } = command;
      return accept<ApiClientEvent>({ type: 'ClientSecretAdded', data: { ...ids(state), secretId, secret, expiresAt, addedAt: now } });
    }
    case 'RemoveClientSecret': {
      const secret = state.secrets.find((candidate) => candidate.secretId === command.secretId);
      if (!secret) return secretNotFound();
      if (secret.status === 'removed') return accept<ApiClientEvent>();
      return accept<ApiClientEvent>({ type: 'ClientSecretRemoved', data: { ...ids(state), secretId: secret.secretId, removedAt: command.now } });
    }
    case 'ExpireClientSecret': {
      const secret = state.secrets.find((candidate) => candidate.secretId === command.secretId);
      if (!secret) return secretNotFound();
      if (secret.status !== 'active') return accept<ApiClientEvent>();
      if (secret.expiresAt > command.now) {
        return reject<ApiClientRejection>({ code: 'ClientSecretNotExpired', message: `The secret expires at ${secret.expiresAt}, not yet.` });
      }
      return accept<ApiClientEvent>({
        type: 'ClientSecretExpired',
        data: { ...ids(state), secretId: secret.secretId, expiresAt: secret.expiresAt, expiredAt: command.now },
      });
    }
    case 'AddRedirectUri': {
      const problem = redirectUriProblem(command.uri);
      if (problem) return reject<ApiClientRejection>({ code: 'RedirectUriInvalid', message: `The redirect URI ${problem}.` });
      if (state.redirectUris.includes(command.uri)) return accept<ApiClientEvent>();
      if (state.redirectUris.length >= MAX_REDIRECT_URIS) {
        return reject<ApiClientRejection>({ code: 'TooManyRedirectUris', message: `An API client holds at most ${MAX_REDIRECT_URIS} redirect URIs.` });
      }
      return accept<ApiClientEvent>({ type: 'RedirectUriAdded', data: { ...ids(state), uri: command.uri, addedAt: command.now } });
    }
    case 'RemoveRedirectUri':
      if (!state.redirectUris.includes(command.uri)) return accept<ApiClientEvent>();
      return accept<ApiClientEvent>({ type: 'RedirectUriRemoved', data: { ...ids(state), uri: command.uri, removedAt: command.now } });
    case 'ChangeApiClientFlows': {
      const flows: ApiClientFlows = { ...state.flows, ...definedOnly(command.flows) };
      const unknown = flows.clientCredentialsRoles.filter((role) => !ROLES.includes(role));
      if (unknown.length > 0) return reject<ApiClientRejection>({ code: 'UnknownRole', message: `Unknown role: ${unknown.join(', ')}.` });
      if (sameFlows(flows, state.flows)) return accept<ApiClientEvent>();
      return accept<ApiClientEvent>({
        type: 'ApiClientFlowsChanged',
        data: { ...ids(state), flows: normalizeFlows(flows), changedAt: command.now },
      });
    }
    case 'DeleteApiClient':
      return accept<ApiClientEvent>({ type: 'ApiClientDeleted', data: { ...ids(state), deletedAt: command.now } });
    default:
      return assertNever(command);
  }
};

const decide = (command: ApiClientCommand, state: ApiClientState) => {
  if (command.type === 'CreateApiClient') {
    if (state.status !== 'none') return reject<ApiClientRejection>({ code: 'ApiClientExists', message: 'API client already exists.' });
    const { tenantId, clientId, name, secretId, secret, secretExpiresAt, now } = command;
    const refused = checkNewSecret(null, secretId, secretExpiresAt, now);
    if (refused) return refused;
    return accept<ApiClientEvent>(
      { type: 'ApiClientCreated', data: { tenantId, clientId, name, flows: DEFAULT_API_CLIENT_FLOWS, createdAt: now } },
      { type: 'ClientSecretAdded', data: { tenantId, clientId, secretId, secret, expiresAt: secretExpiresAt, addedAt: now } },
    );
  }
  // Another tenant's client does not exist for the caller. A deleted client is gone; its
  // secrets died with it, so a late expiry has nothing left to record.
  if (state.status === 'none' || state.tenantId !== command.tenantId) return notFound();
  if (state.status === 'deleted') return command.type === 'ExpireClientSecret' ? accept<ApiClientEvent>() : notFound();
  return decideOnExisting(command, state);
};

const withSecretStatus = (state: Existing, secretId: string, status: ClientSecretStatus): Existing => ({
  ...state,
  secrets: state.secrets.map((secret) => (secret.secretId === secretId ? { ...secret, status } : secret)),
});

const evolve = (state: ApiClientState, event: ApiClientEvent): ApiClientState => {
  if (event.type === 'ApiClientCreated') {
    const { tenantId, clientId, name, flows, createdAt } = event.data;
    return { status: 'active', tenantId, clientId, name, createdAt, flows, redirectUris: [], secrets: [] };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'ApiClientRenamed':
      return { ...state, name: event.data.name };
    case 'ClientSecretAdded':
      return { ...state, secrets: [...state.secrets, { secretId: event.data.secretId, status: 'active', expiresAt: event.data.expiresAt }] };
    case 'ClientSecretRemoved':
      return withSecretStatus(state, event.data.secretId, 'removed');
    case 'ClientSecretExpired':
      return withSecretStatus(state, event.data.secretId, 'expired');
    case 'RedirectUriAdded':
      return { ...state, redirectUris: [...state.redirectUris, event.data.uri] };
    case 'RedirectUriRemoved':
      return { ...state, redirectUris: state.redirectUris.filter((uri) => uri !== event.data.uri) };
    case 'ApiClientFlowsChanged':
      return { ...state, flows: event.data.flows };
    case 'ApiClientDeleted':
      return { ...state, status: 'deleted' };
    default:
      return assertNever(event);
  }
};

export const apiClientDecider: Decider<ApiClientState, ApiClientCommand, ApiClientEvent, ApiClientRejection> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};

/**
 * Everything an API client can act with: the permissions of its client-credentials roles,
 * whether or not that flow is on now (turning it on is one flag away from them).
 */
export const apiClientAuthority = (flows: ApiClientFlows): ReadonlySet<Permission> =>
  new Set(flows.clientCredentialsRoles.flatMap((role) => [...ROLE_PERMISSIONS[role]]));

/** What the client acts with right now: its roles' permissions, only while the client-credentials flow is on. */
export const apiClientPermissions = (flows: ApiClientFlows): ReadonlySet<Permission> =>
  flows.clientCredentials ? apiClientAuthority(flows) : new Set();

/**
 * A new secret or redirect URI hands out the client's whole authority; new flows add their roles'.
 * Renaming, removing and deleting only narrow.
 */
export const apiClientAuthorityNeeds: AuthorityNeeds<ApiClientState, ApiClientCommand> = (command, state) => {
  const has = state.status === 'none' ? [] : [...apiClientAuthority(state.flows)];
  switch (command.type) {
    case 'CreateApiClient':
      return apiClientAuthority(DEFAULT_API_CLIENT_FLOWS);
    case 'AddClientSecret':
    case 'AddRedirectUri':
      return has;
    case 'ChangeApiClientFlows':
      // A partial change (PATCH) keeps the roles it does not name: the merged flows are what the client would have.
      return state.status === 'none' ? [] : [...has, ...apiClientAuthority({ ...state.flows, ...definedOnly(command.flows) })];
    case 'RenameApiClient':
    case 'RemoveClientSecret':
    case 'ExpireClientSecret':
    case 'RemoveRedirectUri':
    case 'DeleteApiClient':
      return [];
    default:
      return assertNever(command);
  }
};
