import { Map as ImmutableMap } from 'immutable';
import { EncryptedSecret } from '../connections/connections';
import { accept, assertNever, Decider, Decision, reject } from '../shared/decider';
import { Rejection } from '../shared/rejection';
import { AuthorityNeeds } from '../shared/authority';
import { integrationPermissions, isIntegrationResource, ResourceAccess } from './resources';
import { sameDisplayNameAs } from '../shared/display-name';

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

/**
 * OAuth 1.0a signatures (RFC 5849, HMAC-SHA256) are keyed with the consumer secret and the token
 * secret, so Keyhold must be able to recompute them: those two are also kept sealed with the
 * integration's own data key (envelope encryption), ciphertext only.
 */
export type SealedSigningSecrets = { readonly dataKeyId: string; readonly consumerSecret: EncryptedSecret; readonly accessTokenSecret: EncryptedSecret };

/** A one-time value compared by its keyed hash: the candidates are its hash under each known key. */
export type SecretCandidate = { readonly hash: string; readonly keyId: string };

/** How long a request token of the handshake may be exchanged for an access token. */
export const REQUEST_TOKEN_TTL_MS = 10 * 60 * 1000;

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
    /** Absent on events written before signed calls existed: such an integration only has its bearer token. */
    sealed?: SealedSigningSecrets;
    /** `handshake`: the integration obtained its access token itself (OAuth 1.0a); `admin`: shown to the admin. */
    via?: 'admin' | 'handshake';
    activatedAt: string;
    activatedBy: string;
  };
};
/**
 * Activation of an integration with a callback URL: the consumer key and secret and a verifier
 * are made and sent to the callback URL; the integration then runs the OAuth 1.0a handshake.
 */
export type IntegrationActivationStarted = {
  type: 'IntegrationActivationStarted';
  data: {
    tenantId: string;
    integrationId: string;
    consumerKey: HashedSecret;
    consumerSecret: HashedSecret;
    sealedConsumerSecret: EncryptedSecret;
    dataKeyId: string;
    verifier: HashedSecret;
    /** Carried by the admin's browser back from the identity link; confirms the activation. */
    returnState: HashedSecret;
    startedAt: string;
    startedBy: string;
  };
};
/** The outcome of sending the consumer credentials to the callback URL (never what was sent). */
export type IntegrationCallbackDelivered = {
  type: 'IntegrationCallbackDelivered';
  data: { tenantId: string; integrationId: string; host: string; attempts: number; status: number; deliveredAt: string };
};
export type IntegrationCallbackFailed = {
  type: 'IntegrationCallbackFailed';
  data: { tenantId: string; integrationId: string; host: string; attempts: number; reason: string; failedAt: string };
};
export type IntegrationRequestTokenIssued = {
  type: 'IntegrationRequestTokenIssued';
  data: {
    tenantId: string;
    integrationId: string;
    requestToken: IssuedAccessToken;
    sealedRequestTokenSecret: EncryptedSecret;
    issuedAt: string;
    expiresAt: string;
  };
};
/** The admin came back from the identity link to Keyhold after the integration was activated. */
export type IntegrationActivationConfirmed = {
  type: 'IntegrationActivationConfirmed';
  data: { tenantId: string; integrationId: string; confirmedAt: string };
};
export type IntegrationReauthorized = {
  type: 'IntegrationReauthorized';
  data: {
    tenantId: string;
    integrationId: string;
    accessToken: IssuedAccessToken;
    accessTokenSecret: HashedSecret;
    /** Sealed with the integration's data key, for signed calls; absent on older events. */
    sealedAccessTokenSecret?: EncryptedSecret;
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
export type IntegrationEvent =
  | IntegrationCreated
  | IntegrationActivationStarted
  | IntegrationCallbackDelivered
  | IntegrationCallbackFailed
  | IntegrationRequestTokenIssued
  | IntegrationActivated
  | IntegrationActivationConfirmed
  | IntegrationReauthorized
  | IntegrationDeleted;

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
/**
 * Without a callback URL the four secrets are issued at once (and shown to the admin); with one,
 * only the consumer key and secret and a verifier are, and the handshake issues the access token.
 */
export type ActivateIntegration = {
  type: 'ActivateIntegration';
  integrationId: string;
  consumerKey: HashedSecret;
  consumerSecret: HashedSecret;
  accessToken: IssuedAccessToken;
  accessTokenSecret: HashedSecret;
  sealed: SealedSigningSecrets;
  verifier: HashedSecret;
  returnState: HashedSecret;
  activatedBy: string;
  now: string;
};
export type RecordIntegrationCallback = {
  type: 'RecordIntegrationCallback';
  integrationId: string;
  host: string;
  attempts: number;
  outcome: { readonly delivered: true; readonly status: number } | { readonly delivered: false; readonly reason: string };
  now: string;
};
export type IssueIntegrationRequestToken = {
  type: 'IssueIntegrationRequestToken';
  integrationId: string;
  requestToken: IssuedAccessToken;
  sealedRequestTokenSecret: EncryptedSecret;
  now: string;
};
export type ExchangeIntegrationRequestToken = {
  type: 'ExchangeIntegrationRequestToken';
  integrationId: string;
  requestTokenId: string;
  verifier: readonly SecretCandidate[];
  accessToken: IssuedAccessToken;
  accessTokenSecret: HashedSecret;
  sealedAccessTokenSecret: EncryptedSecret;
  now: string;
};
export type ConfirmIntegrationActivation = { type: 'ConfirmIntegrationActivation'; integrationId: string; returnState: readonly SecretCandidate[]; now: string };
export type ReauthorizeIntegration = {
  type: 'ReauthorizeIntegration';
  integrationId: string;
  accessToken: IssuedAccessToken;
  accessTokenSecret: HashedSecret;
  sealedAccessTokenSecret: EncryptedSecret;
  reauthorizedBy: string;
  now: string;
};
export type DeleteIntegration = { type: 'DeleteIntegration'; integrationId: string; deletedBy: string; now: string };
export type IntegrationCommand =
  | CreateIntegration
  | ActivateIntegration
  | RecordIntegrationCallback
  | IssueIntegrationRequestToken
  | ExchangeIntegrationRequestToken
  | ConfirmIntegrationActivation
  | ReauthorizeIntegration
  | DeleteIntegration;

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
  | 'IntegrationNotActivating'
  | 'RequestTokenInvalid'
  | 'VerifierInvalid'
  | 'ReturnStateInvalid'
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
/** The handshake's one-time values while it runs, and after it (the return state) until confirmed. */
export type Handshake = {
  readonly consumerKey: HashedSecret;
  readonly consumerSecret: HashedSecret;
  readonly sealedConsumerSecret: EncryptedSecret;
  readonly dataKeyId: string;
  readonly verifier: HashedSecret;
  readonly returnState: HashedSecret;
  readonly requestToken: { readonly token: IssuedAccessToken; readonly sealedSecret: EncryptedSecret; readonly expiresAt: string } | null;
};
export type Integration =
  | (IntegrationFacts & { readonly status: 'inactive' })
  | (IntegrationFacts & { readonly status: 'activating'; readonly handshake: Handshake; readonly startedAt: string })
  | (IntegrationFacts & {
      readonly status: 'active';
      readonly accessTokenId: string;
      readonly activatedAt: string;
      /** Set when activated by the handshake: the state the admin's return must carry, until it does. */
      readonly returnState: HashedSecret | null;
      readonly confirmedAt: string | null;
    })
  | (IntegrationFacts & { readonly status: 'deleted'; readonly deletedAt: string });

/**
 * A tenant's integrations by id, deleted ones included, in a persistent map (immutable.js), as
 * personal tokens are: every event of a handshake or a reauthorization replaces one integration
 * and shares the rest, where a record spread copied all of them, so folding the tenant's stream
 * cost its length times its integrations.
 */
export type Integrations = ImmutableMap<string, Integration>;
export type IntegrationsState = {
  readonly tenantId: string | null;
  readonly integrations: Integrations;
};

/** Bounds one tenant's stream. */
export const MAX_INTEGRATIONS_PER_TENANT = 100;


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
  const existing = [...state.integrations.values()].filter((integration) => integration.status !== 'deleted');
  const named = sameDisplayNameAs(command.name);
  if (existing.some((integration) => named(integration.name))) {
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

const alreadyActive = () =>
  reject<IntegrationRejection>({
    code: 'IntegrationAlreadyActive',
    message: 'The integration is already active; reauthorize it to get a new access token.',
  });

/** Whether one of the candidate hashes of a presented value is the stored one. */
const matches = (candidates: readonly SecretCandidate[], stored: HashedSecret) =>
  candidates.some((candidate) => candidate.keyId === stored.hashKeyId && candidate.hash === stored.hash);

const decideActivate = (command: ActivateIntegration, state: IntegrationsState) => {
  const integration = state.integrations.get(command.integrationId);
  if (!integration || !state.tenantId) return notFound();
  switch (integration.status) {
    case 'deleted':
      return deleted();
    case 'active':
      return alreadyActive();
    // A handshake that did not finish (the callback failed, the integration never came) starts over.
    case 'activating':
    case 'inactive':
      if (integration.callbackUrl !== null) {
        return accept<IntegrationEvent>({
          type: 'IntegrationActivationStarted',
          data: {
            tenantId: state.tenantId,
            integrationId: command.integrationId,
            consumerKey: command.consumerKey,
            consumerSecret: command.consumerSecret,
            sealedConsumerSecret: command.sealed.consumerSecret,
            dataKeyId: command.sealed.dataKeyId,
            verifier: command.verifier,
            returnState: command.returnState,
            startedAt: command.now,
            startedBy: command.activatedBy,
          },
        });
      }
      return accept<IntegrationEvent>({
        type: 'IntegrationActivated',
        data: {
          tenantId: state.tenantId,
          integrationId: command.integrationId,
          consumerKey: command.consumerKey,
          consumerSecret: command.consumerSecret,
          accessToken: command.accessToken,
          accessTokenSecret: command.accessTokenSecret,
          sealed: command.sealed,
          via: 'admin',
          activatedAt: command.now,
          activatedBy: command.activatedBy,
        },
      });
    default:
      return assertNever(integration);
  }
};

const notActivating = () =>
  reject<IntegrationRejection>({ code: 'IntegrationNotActivating', message: 'The integration is not waiting for its OAuth 1.0a handshake.' });

const decideRecordCallback = (command: RecordIntegrationCallback, state: IntegrationsState) => {
  const integration = state.integrations.get(command.integrationId);
  if (!integration || !state.tenantId) return notFound();
  const { integrationId, host, attempts, outcome, now } = command;
  const tenantId = state.tenantId;
  return accept<IntegrationEvent>(
    outcome.delivered
      ? { type: 'IntegrationCallbackDelivered', data: { tenantId, integrationId, host, attempts, status: outcome.status, deliveredAt: now } }
      : { type: 'IntegrationCallbackFailed', data: { tenantId, integrationId, host, attempts, reason: outcome.reason, failedAt: now } },
  );
};

const decideIssueRequestToken = (command: IssueIntegrationRequestToken, state: IntegrationsState) => {
  const integration = state.integrations.get(command.integrationId);
  if (!integration || !state.tenantId) return notFound();
  if (integration.status !== 'activating') return notActivating();
  return accept<IntegrationEvent>({
    type: 'IntegrationRequestTokenIssued',
    data: {
      tenantId: state.tenantId,
      integrationId: command.integrationId,
      requestToken: command.requestToken,
      sealedRequestTokenSecret: command.sealedRequestTokenSecret,
      issuedAt: command.now,
      expiresAt: new Date(Date.parse(command.now) + REQUEST_TOKEN_TTL_MS).toISOString(),
    },
  });
};

const decideExchangeRequestToken = (command: ExchangeIntegrationRequestToken, state: IntegrationsState) => {
  const integration = state.integrations.get(command.integrationId);
  if (!integration || !state.tenantId) return notFound();
  if (integration.status !== 'activating') return notActivating();
  const { handshake } = integration;
  if (!handshake.requestToken || handshake.requestToken.token.id !== command.requestTokenId || handshake.requestToken.expiresAt <= command.now) {
    return reject<IntegrationRejection>({ code: 'RequestTokenInvalid', message: 'The request token is unknown, used or expired; ask for a new one.' });
  }
  if (!matches(command.verifier, handshake.verifier)) {
    return reject<IntegrationRejection>({ code: 'VerifierInvalid', message: 'The oauth_verifier is not the one sent to the callback URL.' });
  }
  return accept<IntegrationEvent>({
    type: 'IntegrationActivated',
    data: {
      tenantId: state.tenantId,
      integrationId: command.integrationId,
      consumerKey: handshake.consumerKey,
      consumerSecret: handshake.consumerSecret,
      accessToken: command.accessToken,
      accessTokenSecret: command.accessTokenSecret,
      sealed: { dataKeyId: handshake.dataKeyId, consumerSecret: handshake.sealedConsumerSecret, accessTokenSecret: command.sealedAccessTokenSecret },
      via: 'handshake',
      activatedAt: command.now,
      activatedBy: `integration:${command.integrationId}`,
    },
  });
};

/**
 * The active integration a command acts on, with its tenant; or the refusal: not found, deleted,
 * or `notActive` while it has not finished activating.
 */
const activeIntegration = (
  integrationId: string,
  state: IntegrationsState,
  notActive: string,
): { refused: Decision<never, IntegrationRejection> } | { integration: Extract<Integration, { status: 'active' }>; tenantId: string } => {
  const integration = state.integrations.get(integrationId);
  if (!integration || !state.tenantId) return { refused: notFound() };
  switch (integration.status) {
    case 'deleted':
      return { refused: deleted() };
    case 'inactive':
    case 'activating':
      return { refused: reject<IntegrationRejection>({ code: 'IntegrationNotActive', message: notActive }) };
    case 'active':
      return { integration, tenantId: state.tenantId };
    default:
      return assertNever(integration);
  }
};

const decideConfirm = (command: ConfirmIntegrationActivation, state: IntegrationsState) => {
  const found = activeIntegration(
    command.integrationId,
    state,
    'The integration has not obtained its access token yet; it must finish the handshake before sending you back.',
  );
  if ('refused' in found) return found.refused;
  const { integration, tenantId } = found;
  if (!integration.returnState || !matches(command.returnState, integration.returnState)) {
    return reject<IntegrationRejection>({ code: 'ReturnStateInvalid', message: 'This link does not confirm an activation of this integration.' });
  }
  // Coming back twice confirms nothing new.
  if (integration.confirmedAt !== null) return accept<IntegrationEvent>();
  return accept<IntegrationEvent>({
    type: 'IntegrationActivationConfirmed',
    data: { tenantId, integrationId: command.integrationId, confirmedAt: command.now },
  });
};

const decideReauthorize = (command: ReauthorizeIntegration, state: IntegrationsState) => {
  const found = activeIntegration(command.integrationId, state, 'Only an active integration can be reauthorized; activate it first.');
  if ('refused' in found) return found.refused;
  const { integration, tenantId } = found;
  return accept<IntegrationEvent>({
    type: 'IntegrationReauthorized',
    data: {
      tenantId,
      integrationId: command.integrationId,
      accessToken: command.accessToken,
      accessTokenSecret: command.accessTokenSecret,
      sealedAccessTokenSecret: command.sealedAccessTokenSecret,
      previousAccessTokenId: integration.accessTokenId,
      reauthorizedAt: command.now,
      reauthorizedBy: command.reauthorizedBy,
    },
  });
};

const decideDelete = (command: DeleteIntegration, state: IntegrationsState) => {
  const integration = state.integrations.get(command.integrationId);
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
    case 'RecordIntegrationCallback':
      return decideRecordCallback(command, state);
    case 'IssueIntegrationRequestToken':
      return decideIssueRequestToken(command, state);
    case 'ExchangeIntegrationRequestToken':
      return decideExchangeRequestToken(command, state);
    case 'ConfirmIntegrationActivation':
      return decideConfirm(command, state);
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
    integrations: state.integrations.set(integration.integrationId, integration),
  });
  const current = state.integrations.get(event.data.integrationId);
  switch (event.type) {
    case 'IntegrationCreated': {
      const { tenantId: _tenantId, createdBy: _createdBy, ...created } = event.data;
      return put({ ...created, status: 'inactive' });
    }
    case 'IntegrationActivationStarted': {
      if (!current) return state;
      const { consumerKey, consumerSecret, sealedConsumerSecret, dataKeyId, verifier, returnState, startedAt } = event.data;
      const handshake = { consumerKey, consumerSecret, sealedConsumerSecret, dataKeyId, verifier, returnState, requestToken: null };
      return put({ ...facts(current), status: 'activating', handshake, startedAt });
    }
    case 'IntegrationCallbackDelivered':
    case 'IntegrationCallbackFailed':
      return state;
    case 'IntegrationRequestTokenIssued':
      if (!current || current.status !== 'activating') return state;
      return put({
        ...current,
        handshake: {
          ...current.handshake,
          requestToken: { token: event.data.requestToken, sealedSecret: event.data.sealedRequestTokenSecret, expiresAt: event.data.expiresAt },
        },
      });
    case 'IntegrationActivated':
      if (!current) return state;
      return put({
        ...facts(current),
        status: 'active',
        accessTokenId: event.data.accessToken.id,
        activatedAt: event.data.activatedAt,
        returnState: current.status === 'activating' ? current.handshake.returnState : null,
        confirmedAt: null,
      });
    case 'IntegrationActivationConfirmed':
      if (!current || current.status !== 'active') return state;
      return put({ ...current, confirmedAt: event.data.confirmedAt });
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
  initialState: () => ({ tenantId: null, integrations: ImmutableMap() }),
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
      const integration = state.integrations.get(command.integrationId);
      return integration ? integrationPermissions(integration.resourceAccess, integration.resources) : [];
    }
    // The handshake's later steps hand the integration only what its activation (checked above
    // against the admin who started it) already granted; recording a callback hands out nothing.
    case 'RecordIntegrationCallback':
    case 'IssueIntegrationRequestToken':
    case 'ExchangeIntegrationRequestToken':
    case 'ConfirmIntegrationActivation':
    case 'DeleteIntegration':
      return [];
    default:
      return assertNever(command);
  }
};
