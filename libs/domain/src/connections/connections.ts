import { accept, assertNever, Decider, reject } from '../shared/decider';
import { AuthorityNeeds } from '../shared/authority';
import { Permission } from '../shared/permissions';
import { Rejection } from '../shared/rejection';
import { isDomainAllowed, normalizeDomain } from './domains';

/**
 * A connection stores one credential for a third-party service (Slack, Shopify, ...) so that
 * internal services can call it without holding the credential themselves. One stream per
 * connection (`connection-<id>`): its secrets are encrypted under a data key of its own, kept
 * outside the log, so that deleting the connection destroys that key and with it every copy of
 * the secrets the immutable log still holds (crypto-shredding).
 *
 * The decider never sees a secret in clear: commands carry ciphertext, sealed by the caller
 * with the connection's data key.
 */

export const CREDENTIAL_TYPES = ['api_key', 'basic_auth', 'bearer_token', 'oauth2'] as const;
export type CredentialType = (typeof CREDENTIAL_TYPES)[number];

/** Every field that holds a secret, whatever the type: user names count (they are half a login). */
export const SECRET_FIELDS = ['apiKey', 'username', 'password', 'token', 'clientSecret', 'refreshToken'] as const;
export type SecretField = (typeof SECRET_FIELDS)[number];

/** Which secret fields each credential type has, and which of them must always be set. */
export const CREDENTIAL_SECRET_FIELDS: Readonly<Record<CredentialType, { required: readonly SecretField[]; optional: readonly SecretField[] }>> = {
  api_key: { required: ['apiKey'], optional: [] },
  basic_auth: { required: ['username', 'password'], optional: [] },
  bearer_token: { required: ['token'], optional: [] },
  oauth2: { required: ['clientSecret'], optional: ['refreshToken'] },
};

/** The non-secret part of a credential: safe to show, and what the type's edits may touch. */
export type CredentialSettings =
  | { readonly type: 'api_key'; readonly headerName: string }
  | { readonly type: 'basic_auth' }
  | { readonly type: 'bearer_token' }
  | { readonly type: 'oauth2'; readonly clientId: string; readonly tokenUrl: string; readonly scopes: readonly string[] };

/** The non-secret settings each type has (besides `type`). */
export const CREDENTIAL_SETTING_FIELDS: Readonly<Record<CredentialType, readonly string[]>> = {
  api_key: ['headerName'],
  basic_auth: [],
  bearer_token: [],
  oauth2: ['clientId', 'tokenUrl', 'scopes'],
};

/**
 * The OAuth client of an OAuth 2.0 connection: once created, only its client id and client
 * secret may change (and the stored refresh token be replaced); its token URL and scopes are fixed.
 */
export const OAUTH_CLIENT_FIXED_FIELDS = ['tokenUrl', 'scopes'] as const;

/** A secret sealed with the connection's data key: ciphertext and the key's id, nothing else. */
export type EncryptedSecret = {
  readonly alg: 'A256GCM';
  readonly keyId: string;
  readonly iv: string;
  readonly ciphertext: string;
  readonly tag: string;
};
export type EncryptedSecrets = Readonly<Partial<Record<SecretField, EncryptedSecret>>>;

export type ConnectionCreated = {
  type: 'ConnectionCreated';
  data: {
    tenantId: string;
    connectionId: string;
    name: string;
    service: string;
    allowedDomains: string[];
    credential: CredentialSettings;
    secrets: EncryptedSecrets;
    /** The data key the secrets are sealed with; it lives in the key store, never here. */
    dataKeyId: string;
    createdAt: string;
    createdBy: string;
  };
};
export type ConnectionUpdated = {
  type: 'ConnectionUpdated';
  data: {
    tenantId: string;
    connectionId: string;
    /** Only what changed; `credential` is then the whole new non-secret part. */
    changes: { name?: string; service?: string; allowedDomains?: string[]; credential?: CredentialSettings };
    /** New ciphertexts of the secrets that were replaced; the others stay as they were. */
    replacedSecrets: EncryptedSecrets;
    /** Names of the changed fields, secrets included (names only), for audit. */
    changedFields: string[];
    updatedAt: string;
    updatedBy: string;
  };
};
export type ConnectionDeleted = {
  type: 'ConnectionDeleted';
  data: { tenantId: string; connectionId: string; dataKeyId: string; deletedAt: string; deletedBy: string };
};
/** A caller obtained the decrypted credential: who, when, for which domain. Never the secret. */
export type ConnectionCredentialAccessed = {
  type: 'ConnectionCredentialAccessed';
  data: {
    tenantId: string;
    connectionId: string;
    accessedBy: string;
    actorKind: string;
    /** The credential the caller authenticated with (its id, not the secret). */
    credentialId: string;
    targetDomain: string;
    /**
     * `use`: an OAuth 2.0 connection handed out an access token, any other its credential;
     * `reveal`: the raw secrets were asked for explicitly (connections:reveal). Absent on older events: `use`.
     */
    purpose?: AccessPurpose;
    accessedAt: string;
  };
};
/** The outcome of a client-credentials exchange at an OAuth 2.0 connection's token URL: never the token. */
export type ConnectionAccessTokenFetched = {
  type: 'ConnectionAccessTokenFetched';
  data: { tenantId: string; connectionId: string; host: string; attempts: number; expiresAt: string; fetchedAt: string };
};
export type ConnectionAccessTokenFetchFailed = {
  type: 'ConnectionAccessTokenFetchFailed';
  data: { tenantId: string; connectionId: string; host: string; attempts: number; reason: string; failedAt: string };
};
export type ConnectionEvent =
  | ConnectionCreated
  | ConnectionUpdated
  | ConnectionDeleted
  | ConnectionCredentialAccessed
  | ConnectionAccessTokenFetched
  | ConnectionAccessTokenFetchFailed;

export const ACCESS_PURPOSES = ['use', 'reveal'] as const;
export type AccessPurpose = (typeof ACCESS_PURPOSES)[number];

export type CreateConnection = {
  type: 'CreateConnection';
  tenantId: string;
  connectionId: string;
  name: string;
  service: string;
  allowedDomains: readonly string[];
  credential: CredentialSettings;
  secrets: EncryptedSecrets;
  dataKeyId: string;
  createdBy: string;
  now: string;
};
/** Credential settings to change: `type` may be repeated but not changed. */
export type CredentialSettingsPatch = {
  readonly type?: CredentialType;
  readonly headerName?: string;
  readonly clientId?: string;
  readonly tokenUrl?: string;
  readonly scopes?: readonly string[];
};
export type UpdateConnection = {
  type: 'UpdateConnection';
  tenantId: string;
  connectionId: string;
  name?: string;
  service?: string;
  allowedDomains?: readonly string[];
  credential?: CredentialSettingsPatch;
  /** Secrets to replace; absent ones are kept. */
  secrets: EncryptedSecrets;
  updatedBy: string;
  now: string;
};
export type DeleteConnection = { type: 'DeleteConnection'; tenantId: string; connectionId: string; deletedBy: string; now: string };
export type UseConnectionCredential = {
  type: 'UseConnectionCredential';
  tenantId: string;
  connectionId: string;
  targetDomain: string;
  accessedBy: string;
  actorKind: string;
  credentialId: string;
  /** Absent: `use`. */
  purpose?: AccessPurpose;
  now: string;
};
export type RecordAccessTokenFetch = {
  type: 'RecordAccessTokenFetch';
  tenantId: string;
  connectionId: string;
  host: string;
  attempts: number;
  outcome: { readonly fetched: true; readonly expiresAt: string } | { readonly fetched: false; readonly reason: string };
  now: string;
};
export type ConnectionCommand = CreateConnection | UpdateConnection | DeleteConnection | UseConnectionCredential | RecordAccessTokenFetch;

export type ConnectionRejection = Rejection<
  | 'ConnectionExists'
  | 'ConnectionNotFound'
  | 'ConnectionDeleted'
  | 'NoAllowedDomains'
  | 'SecretMissing'
  | 'FieldNotApplicable'
  | 'CredentialTypeImmutable'
  | 'OAuthClientFieldImmutable'
  | 'TokenUrlNotAllowed'
  | 'DomainNotAllowed'
>;

type ConnectionFacts = {
  readonly tenantId: string;
  readonly connectionId: string;
  readonly name: string;
  readonly service: string;
  readonly allowedDomains: readonly string[];
  readonly credential: CredentialSettings;
  readonly secrets: EncryptedSecrets;
  readonly dataKeyId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
};
/** A deleted connection keeps no secret, not even sealed: nothing can read it from the state. */
export type ConnectionState =
  | { readonly status: 'none' }
  | (ConnectionFacts & { readonly status: 'active' })
  | {
      readonly status: 'deleted';
      readonly tenantId: string;
      readonly connectionId: string;
      readonly dataKeyId: string;
      readonly deletedAt: string;
    };

/** The secret fields set on a connection, by name: what reads may say about its secrets. */
export const secretFieldsSet = (secrets: EncryptedSecrets): SecretField[] =>
  SECRET_FIELDS.filter((field) => secrets[field] !== undefined);

const fieldsOf = (type: CredentialType): readonly SecretField[] => [
  ...CREDENTIAL_SECRET_FIELDS[type].required,
  ...CREDENTIAL_SECRET_FIELDS[type].optional,
];

const hostOf = (url: string): string | null => {
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
};

/** The OAuth token endpoint receives the client secret: it must be one of the allowed domains. */
const tokenUrlRefusal = (credential: CredentialSettings, allowedDomains: readonly string[]) => {
  if (credential.type !== 'oauth2') return null;
  const host = hostOf(credential.tokenUrl);
  if (host !== null && isDomainAllowed(allowedDomains, host)) return null;
  return reject<ConnectionRejection>({
    code: 'TokenUrlNotAllowed',
    message: 'The token URL must be on one of the allowed domains: the client secret is sent there.',
  });
};

const foreignSecrets = (type: CredentialType, secrets: EncryptedSecrets): SecretField[] =>
  secretFieldsSet(secrets).filter((field) => !fieldsOf(type).includes(field));

const notApplicableRejection = (type: CredentialType, fields: readonly string[]): ConnectionRejection => ({
  code: 'FieldNotApplicable',
  message: `A ${type} credential has no ${fields.map((f) => `'${f}'`).join(', ')}.`,
});
const notApplicable = (type: CredentialType, fields: readonly string[]) => reject<ConnectionRejection>(notApplicableRejection(type, fields));

const uniqueDomains = (domains: readonly string[]) => [...new Set(domains.map(normalizeDomain))];

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((item, n) => item === b[n]);

const decideCreate = (command: CreateConnection, state: ConnectionState) => {
  if (state.status !== 'none') {
    return reject<ConnectionRejection>({ code: 'ConnectionExists', message: 'This connection already exists.' });
  }
  const allowedDomains = uniqueDomains(command.allowedDomains);
  if (allowedDomains.length === 0) {
    return reject<ConnectionRejection>({ code: 'NoAllowedDomains', message: 'A connection needs at least one allowed domain.' });
  }
  const type = command.credential.type;
  const foreign = foreignSecrets(type, command.secrets);
  if (foreign.length > 0) return notApplicable(type, foreign);
  const missing = CREDENTIAL_SECRET_FIELDS[type].required.filter((field) => command.secrets[field] === undefined);
  if (missing.length > 0) {
    return reject<ConnectionRejection>({
      code: 'SecretMissing',
      message: `A ${type} credential needs ${missing.map((f) => `'${f}'`).join(', ')}.`,
    });
  }
  const refusal = tokenUrlRefusal(command.credential, allowedDomains);
  if (refusal) return refusal;
  return accept<ConnectionEvent>({
    type: 'ConnectionCreated',
    data: {
      tenantId: command.tenantId,
      connectionId: command.connectionId,
      name: command.name,
      service: command.service,
      allowedDomains,
      credential: command.credential,
      secrets: command.secrets,
      dataKeyId: command.dataKeyId,
      createdAt: command.now,
      createdBy: command.createdBy,
    },
  });
};

type Patched = { readonly credential: CredentialSettings } | { readonly refusal: ConnectionRejection };

/** The credential settings after a patch, or the refusal of the patch. */
const patchedCredential = (current: CredentialSettings, patch: CredentialSettingsPatch): Patched => {
  if (patch.type !== undefined && patch.type !== current.type) {
    return {
      refusal: {
        code: 'CredentialTypeImmutable',
        message: `The credential type cannot change (it is ${current.type}); create another connection instead.`,
      },
    };
  }
  const given = (Object.keys(patch) as Array<keyof CredentialSettingsPatch>).filter((key) => key !== 'type' && patch[key] !== undefined);
  const foreign = given.filter((key) => !CREDENTIAL_SETTING_FIELDS[current.type].includes(key));
  if (foreign.length > 0) return { refusal: notApplicableRejection(current.type, foreign) };
  switch (current.type) {
    case 'api_key':
      return { credential: { ...current, headerName: patch.headerName ?? current.headerName } };
    case 'basic_auth':
    case 'bearer_token':
      return { credential: current };
    case 'oauth2': {
      const fixed = OAUTH_CLIENT_FIXED_FIELDS.filter((field) => {
        if (field === 'tokenUrl') return patch.tokenUrl !== undefined && patch.tokenUrl !== current.tokenUrl;
        return patch.scopes !== undefined && !sameList(patch.scopes, current.scopes);
      });
      if (fixed.length > 0) {
        return {
          refusal: {
            code: 'OAuthClientFieldImmutable',
            message: `After creation only the client id and client secret of an OAuth client can change, not ${fixed.map((f) => `'${f}'`).join(', ')}.`,
          },
        };
      }
      return { credential: { ...current, clientId: patch.clientId ?? current.clientId } };
    }
    default:
      return assertNever(current);
  }
};

const sameCredential = (a: CredentialSettings, b: CredentialSettings) => JSON.stringify(a) === JSON.stringify(b);

const decideUpdate = (command: UpdateConnection, state: ConnectionState) => {
  if (state.status === 'none' || state.tenantId !== command.tenantId) {
    return reject<ConnectionRejection>({ code: 'ConnectionNotFound', message: 'Connection not found.' });
  }
  if (state.status === 'deleted') {
    return reject<ConnectionRejection>({ code: 'ConnectionDeleted', message: 'The connection was deleted; it can no longer change.' });
  }
  const patched = command.credential ? patchedCredential(state.credential, command.credential) : { credential: state.credential };
  if ('refusal' in patched) return reject<ConnectionRejection>(patched.refusal);
  const credential = patched.credential;
  const foreign = foreignSecrets(state.credential.type, command.secrets);
  if (foreign.length > 0) return notApplicable(state.credential.type, foreign);

  const allowedDomains = command.allowedDomains ? uniqueDomains(command.allowedDomains) : state.allowedDomains;
  if (allowedDomains.length === 0) {
    return reject<ConnectionRejection>({ code: 'NoAllowedDomains', message: 'A connection needs at least one allowed domain.' });
  }
  const refusal = tokenUrlRefusal(credential, allowedDomains);
  if (refusal) return refusal;

  const changes: ConnectionUpdated['data']['changes'] = {};
  if (command.name !== undefined && command.name !== state.name) changes.name = command.name;
  if (command.service !== undefined && command.service !== state.service) changes.service = command.service;
  if (!sameList(allowedDomains, state.allowedDomains)) changes.allowedDomains = [...allowedDomains];
  if (!sameCredential(credential, state.credential)) changes.credential = credential;
  const setting = (settings: CredentialSettings, field: string) => JSON.stringify((settings as Record<string, unknown>)[field]);
  const changedSettings = CREDENTIAL_SETTING_FIELDS[credential.type].filter((field) => setting(credential, field) !== setting(state.credential, field));
  const changedFields = [
    ...(Object.keys(changes) as Array<keyof typeof changes>).flatMap((key) => (key === 'credential' ? changedSettings : [key])),
    // Secrets count by presence: sealed anew they never compare equal, so any secret sent is replaced.
    ...secretFieldsSet(command.secrets),
  ];
  if (changedFields.length === 0) return accept<ConnectionEvent>();
  return accept<ConnectionEvent>({
    type: 'ConnectionUpdated',
    data: {
      tenantId: state.tenantId,
      connectionId: state.connectionId,
      changes,
      replacedSecrets: command.secrets,
      changedFields,
      updatedAt: command.now,
      updatedBy: command.updatedBy,
    },
  });
};

const decideDelete = (command: DeleteConnection, state: ConnectionState) => {
  if (state.status === 'none' || state.tenantId !== command.tenantId) {
    return reject<ConnectionRejection>({ code: 'ConnectionNotFound', message: 'Connection not found.' });
  }
  // Deleting is final and idempotent: a second delete changes nothing and is not an error.
  if (state.status === 'deleted') return accept<ConnectionEvent>();
  return accept<ConnectionEvent>({
    type: 'ConnectionDeleted',
    data: {
      tenantId: state.tenantId,
      connectionId: state.connectionId,
      dataKeyId: state.dataKeyId,
      deletedAt: command.now,
      deletedBy: command.deletedBy,
    },
  });
};

const decideUse = (command: UseConnectionCredential, state: ConnectionState) => {
  if (state.status === 'none' || state.tenantId !== command.tenantId) {
    return reject<ConnectionRejection>({ code: 'ConnectionNotFound', message: 'Connection not found.' });
  }
  if (state.status === 'deleted') {
    return reject<ConnectionRejection>({ code: 'ConnectionDeleted', message: 'The connection was deleted; its credential is gone.' });
  }
  const targetDomain = normalizeDomain(command.targetDomain);
  if (!isDomainAllowed(state.allowedDomains, targetDomain)) {
    return reject<ConnectionRejection>({
      code: 'DomainNotAllowed',
      message: `This connection's credential may not be sent to '${targetDomain}'.`,
    });
  }
  return accept<ConnectionEvent>({
    type: 'ConnectionCredentialAccessed',
    data: {
      tenantId: state.tenantId,
      connectionId: state.connectionId,
      accessedBy: command.accessedBy,
      actorKind: command.actorKind,
      credentialId: command.credentialId,
      targetDomain,
      ...(command.purpose === 'reveal' ? { purpose: command.purpose } : {}),
      accessedAt: command.now,
    },
  });
};

const decideRecordFetch = (command: RecordAccessTokenFetch, state: ConnectionState) => {
  if (state.status !== 'active' || state.tenantId !== command.tenantId) {
    return reject<ConnectionRejection>({ code: 'ConnectionNotFound', message: 'Connection not found.' });
  }
  const { tenantId, connectionId, host, attempts, outcome, now } = command;
  return accept<ConnectionEvent>(
    outcome.fetched
      ? { type: 'ConnectionAccessTokenFetched', data: { tenantId, connectionId, host, attempts, expiresAt: outcome.expiresAt, fetchedAt: now } }
      : { type: 'ConnectionAccessTokenFetchFailed', data: { tenantId, connectionId, host, attempts, reason: outcome.reason, failedAt: now } },
  );
};

const decide = (command: ConnectionCommand, state: ConnectionState) => {
  switch (command.type) {
    case 'CreateConnection':
      return decideCreate(command, state);
    case 'UpdateConnection':
      return decideUpdate(command, state);
    case 'DeleteConnection':
      return decideDelete(command, state);
    case 'UseConnectionCredential':
      return decideUse(command, state);
    case 'RecordAccessTokenFetch':
      return decideRecordFetch(command, state);
    default:
      return assertNever(command);
  }
};

const evolve = (state: ConnectionState, event: ConnectionEvent): ConnectionState => {
  switch (event.type) {
    case 'ConnectionCreated': {
      const { tenantId, connectionId, name, service, allowedDomains, credential, secrets, dataKeyId, createdAt } = event.data;
      return {
        status: 'active',
        tenantId,
        connectionId,
        name,
        service,
        allowedDomains,
        credential,
        secrets,
        dataKeyId,
        createdAt,
        updatedAt: createdAt,
      };
    }
    case 'ConnectionUpdated': {
      if (state.status !== 'active') return state;
      const { changes, replacedSecrets, updatedAt } = event.data;
      return {
        ...state,
        name: changes.name ?? state.name,
        service: changes.service ?? state.service,
        allowedDomains: changes.allowedDomains ?? state.allowedDomains,
        credential: changes.credential ?? state.credential,
        secrets: { ...state.secrets, ...replacedSecrets },
        updatedAt,
      };
    }
    case 'ConnectionDeleted':
      if (state.status === 'none') return state;
      return {
        status: 'deleted',
        tenantId: state.tenantId,
        connectionId: state.connectionId,
        dataKeyId: state.dataKeyId,
        deletedAt: event.data.deletedAt,
      };
    case 'ConnectionCredentialAccessed':
    case 'ConnectionAccessTokenFetched':
    case 'ConnectionAccessTokenFetchFailed':
      return state;
    default:
      return assertNever(event);
  }
};

export const connectionDecider: Decider<ConnectionState, ConnectionCommand, ConnectionEvent, ConnectionRejection> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};

/**
 * What reaches a stored third-party credential: whoever sets one (its secrets, its allowed
 * domains) decides what `connections:use` hands out, and whoever obtains it uses it, so both
 * must hold that power.
 */
export const CONNECTION_AUTHORITY: readonly Permission[] = ['connections:use'];

export const connectionAuthorityNeeds: AuthorityNeeds<ConnectionState, ConnectionCommand> = (command) => {
  switch (command.type) {
    case 'CreateConnection':
    case 'UpdateConnection':
    case 'UseConnectionCredential':
      return CONNECTION_AUTHORITY;
    // Records the outcome of an exchange that a use (checked above) asked for; it hands out nothing.
    case 'RecordAccessTokenFetch':
    case 'DeleteConnection':
      return [];
    default:
      return assertNever(command);
  }
};
