import { accept, assertNever, Decider, reject } from '../shared/decider';
import { AuthorityNeeds } from '../shared/authority';
import { hasExpired } from '../shared/expiry';
import { Permission } from '../shared/permissions';
import { Rejection } from '../shared/rejection';

/** A client secret as stored: its keyed hash, never the secret. */
export type StoredSecret = { secretHash: string; hashKeyId: string; hint: string };

export type ServiceAccountCreated = {
  type: 'ServiceAccountCreated';
  data: { tenantId: string; accountId: string; name: string; secret: StoredSecret; sunsetAt: string | null; createdAt: string };
};
export type ServiceAccountPermissionGranted = {
  type: 'ServiceAccountPermissionGranted';
  data: { tenantId: string; accountId: string; permission: Permission; grantedAt: string };
};
export type ServiceAccountPermissionRemoved = {
  type: 'ServiceAccountPermissionRemoved';
  data: { tenantId: string; accountId: string; permission: Permission; removedAt: string };
};
export type ServiceAccountProjectJoined = {
  type: 'ServiceAccountProjectJoined';
  data: { tenantId: string; accountId: string; projectId: string; joinedAt: string };
};
export type ServiceAccountProjectLeft = {
  type: 'ServiceAccountProjectLeft';
  data: { tenantId: string; accountId: string; projectId: string; leftAt: string };
};
/**
 * The old secret dies with this event, and the account's rights with it: `generation` counts
 * resets, and an account whose permissions were last reset at an older generation acts with
 * no rights at all until ServiceAccountPermissionsReset for this generation lands.
 */
export type ClientSecretReset = {
  type: 'ClientSecretReset';
  data: { tenantId: string; accountId: string; secret: StoredSecret; generation: number; resetAt: string };
};
export type ServiceAccountPermissionsReset = {
  type: 'ServiceAccountPermissionsReset';
  data: {
    tenantId: string;
    accountId: string;
    generation: number;
    removedPermissions: Permission[];
    leftProjects: string[];
    resetAt: string;
  };
};
export type ServiceAccountSunsetChanged = {
  type: 'ServiceAccountSunsetChanged';
  data: { tenantId: string; accountId: string; sunsetAt: string | null; changedAt: string };
};
export type ServiceAccountDeleted = {
  type: 'ServiceAccountDeleted';
  data: { tenantId: string; accountId: string; deletedAt: string };
};
/**
 * An Ed25519 public key (JWK) that the account signs Kafka commands with. Public keys are not
 * secrets, so the event keeps it whole, with its RFC 7638 thumbprint to name it.
 */
export type CommandSigningKey = { kty: 'OKP'; crv: 'Ed25519'; x: string };
export type ServiceAccountCommandKeyRegistered = {
  type: 'ServiceAccountCommandKeyRegistered';
  data: { tenantId: string; accountId: string; thumbprint: string; publicKey: CommandSigningKey; registeredAt: string };
};
export type ServiceAccountEvent =
  | ServiceAccountCreated
  | ServiceAccountPermissionGranted
  | ServiceAccountPermissionRemoved
  | ServiceAccountProjectJoined
  | ServiceAccountProjectLeft
  | ClientSecretReset
  | ServiceAccountPermissionsReset
  | ServiceAccountSunsetChanged
  | ServiceAccountDeleted
  | ServiceAccountCommandKeyRegistered;

export type CreateServiceAccount = {
  type: 'CreateServiceAccount';
  tenantId: string;
  accountId: string;
  name: string;
  secret: StoredSecret;
  sunsetAt: string | null;
  /**
   * The service-wide cut-off (SERVICE_ACCOUNT_CREATION_CUTOFF): from this instant on, no new
   * service account (the legacy kind, superseded by API clients) may be created; those that
   * exist keep working until their own sunset. Absent or null: no cut-off.
   */
  creationCutoff?: string | null;
  now: string;
};
/**
 * The documented format of a project id: a lowercase slug of 3 to 63 letters, digits and single
 * hyphens, starting with a letter and not ending with a hyphen (`bridge-42`). Checked when an
 * account joins a project; an account may still leave a project whose id predates the format.
 */
export const PROJECT_ID_PATTERN = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/;
export const isProjectId = (projectId: string): boolean => PROJECT_ID_PATTERN.test(projectId);
export type GrantServiceAccountPermission = { type: 'GrantServiceAccountPermission'; tenantId: string; permission: Permission; now: string };
export type RemoveServiceAccountPermission = { type: 'RemoveServiceAccountPermission'; tenantId: string; permission: Permission; now: string };
export type JoinProject = { type: 'JoinProject'; tenantId: string; projectId: string; now: string };
export type LeaveProject = { type: 'LeaveProject'; tenantId: string; projectId: string; now: string };
export type ResetClientSecret = { type: 'ResetClientSecret'; tenantId: string; secret: StoredSecret; now: string };
/** Issued by the consumer of ClientSecretReset; a no-op once that generation is reset. */
export type ResetServiceAccountPermissions = { type: 'ResetServiceAccountPermissions'; tenantId: string; generation: number; now: string };
export type ChangeServiceAccountSunset = { type: 'ChangeServiceAccountSunset'; tenantId: string; sunsetAt: string | null; now: string };
export type DeleteServiceAccount = { type: 'DeleteServiceAccount'; tenantId: string; now: string };
/** Replaces the account's command-signing key; the thumbprint is computed by the caller (crypto is not the domain's). */
export type RegisterCommandSigningKey = { type: 'RegisterCommandSigningKey'; tenantId: string; publicKey: CommandSigningKey; thumbprint: string; now: string };
export type ServiceAccountCommand =
  | CreateServiceAccount
  | GrantServiceAccountPermission
  | RemoveServiceAccountPermission
  | JoinProject
  | LeaveProject
  | ResetClientSecret
  | ResetServiceAccountPermissions
  | ChangeServiceAccountSunset
  | DeleteServiceAccount
  | RegisterCommandSigningKey;

export type ServiceAccountRejection = Rejection<
  | 'ServiceAccountExists'
  | 'ServiceAccountNotFound'
  | 'PermissionsResetPending'
  | 'SunsetNotInFuture'
  | 'GenerationUnknown'
  | 'LegacyAccountsClosed'
  | 'InvalidProjectId'
>;

export type ServiceAccountState =
  | { readonly status: 'none' }
  | {
      readonly status: 'active' | 'deleted';
      readonly tenantId: string;
      readonly accountId: string;
      readonly permissions: readonly Permission[];
      readonly projects: readonly string[];
      readonly secretGeneration: number;
      readonly permissionsGeneration: number;
      readonly sunsetAt: string | null;
      readonly commandSigningKey: { readonly thumbprint: string; readonly publicKey: CommandSigningKey } | null;
    };

type Existing = Exclude<ServiceAccountState, { status: 'none' }>;

/** True between a secret reset and the permissions reset that must follow it. */
export const permissionsResetPending = (state: Existing): boolean => state.permissionsGeneration < state.secretGeneration;

const notFound = () => reject<ServiceAccountRejection>({ code: 'ServiceAccountNotFound', message: 'Service account not found.' });

const ids = (state: Existing) => ({ tenantId: state.tenantId, accountId: state.accountId });

/**
 * The permissions the account acts with at `now`, as the OAuth index computes them for its
 * tokens: none while a permissions reset is pending; null when it cannot act at all.
 */
export const actingPermissions = (state: ServiceAccountState, now: string): readonly Permission[] | null => {
  if (state.status !== 'active' || hasExpired(state.sunsetAt, now)) return null;
  return permissionsResetPending(state) ? [] : state.permissions;
};

/** Commands that change rights wait for a pending reset: a grant must not be wiped a moment later. */
const pendingReset = () =>
  reject<ServiceAccountRejection>({
    code: 'PermissionsResetPending',
    message: 'The secret was just reset and the permissions reset has not landed yet; retry in a moment.',
  });

const decideOnExisting = (command: Exclude<ServiceAccountCommand, CreateServiceAccount>, state: Existing) => {
  switch (command.type) {
    case 'GrantServiceAccountPermission':
      if (permissionsResetPending(state)) return pendingReset();
      if (state.permissions.includes(command.permission)) return accept<ServiceAccountEvent>();
      return accept<ServiceAccountEvent>({
        type: 'ServiceAccountPermissionGranted',
        data: { ...ids(state), permission: command.permission, grantedAt: command.now },
      });
    case 'RemoveServiceAccountPermission':
      if (!state.permissions.includes(command.permission)) return accept<ServiceAccountEvent>();
      return accept<ServiceAccountEvent>({
        type: 'ServiceAccountPermissionRemoved',
        data: { ...ids(state), permission: command.permission, removedAt: command.now },
      });
    case 'JoinProject':
      if (!isProjectId(command.projectId)) {
        return reject<ServiceAccountRejection>({
          code: 'InvalidProjectId',
          message: 'projectId must be 3-63 lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen (e.g. bridge-42).',
        });
      }
      if (permissionsResetPending(state)) return pendingReset();
      if (state.projects.includes(command.projectId)) return accept<ServiceAccountEvent>();
      return accept<ServiceAccountEvent>({
        type: 'ServiceAccountProjectJoined',
        data: { ...ids(state), projectId: command.projectId, joinedAt: command.now },
      });
    case 'LeaveProject':
      if (!state.projects.includes(command.projectId)) return accept<ServiceAccountEvent>();
      return accept<ServiceAccountEvent>({
        type: 'ServiceAccountProjectLeft',
        data: { ...ids(state), projectId: command.projectId, leftAt: command.now },
      });
    case 'ResetClientSecret':
      return accept<ServiceAccountEvent>({
        type: 'ClientSecretReset',
        data: { ...ids(state), secret: command.secret, generation: state.secretGeneration + 1, resetAt: command.now },
      });
    case 'ResetServiceAccountPermissions':
      if (command.generation > state.secretGeneration) {
        return reject<ServiceAccountRejection>({ code: 'GenerationUnknown', message: `No secret reset of generation ${command.generation}.` });
      }
      if (command.generation <= state.permissionsGeneration) return accept<ServiceAccountEvent>();
      return accept<ServiceAccountEvent>({
        type: 'ServiceAccountPermissionsReset',
        data: {
          ...ids(state),
          generation: command.generation,
          removedPermissions: [...state.permissions],
          leftProjects: [...state.projects],
          resetAt: command.now,
        },
      });
    case 'ChangeServiceAccountSunset':
      if (command.sunsetAt !== null && command.sunsetAt <= command.now) {
        return reject<ServiceAccountRejection>({ code: 'SunsetNotInFuture', message: 'sunsetAt must be in the future.' });
      }
      if (command.sunsetAt === state.sunsetAt) return accept<ServiceAccountEvent>();
      return accept<ServiceAccountEvent>({
        type: 'ServiceAccountSunsetChanged',
        data: { ...ids(state), sunsetAt: command.sunsetAt, changedAt: command.now },
      });
    case 'DeleteServiceAccount':
      return accept<ServiceAccountEvent>({ type: 'ServiceAccountDeleted', data: { ...ids(state), deletedAt: command.now } });
    case 'RegisterCommandSigningKey':
      if (state.commandSigningKey?.thumbprint === command.thumbprint) return accept<ServiceAccountEvent>();
      return accept<ServiceAccountEvent>({
        type: 'ServiceAccountCommandKeyRegistered',
        data: { ...ids(state), thumbprint: command.thumbprint, publicKey: command.publicKey, registeredAt: command.now },
      });
    default:
      return assertNever(command);
  }
};

const decide = (command: ServiceAccountCommand, state: ServiceAccountState) => {
  if (command.type === 'CreateServiceAccount') {
    if (state.status !== 'none') {
      return reject<ServiceAccountRejection>({ code: 'ServiceAccountExists', message: 'Service account already exists.' });
    }
    if (command.creationCutoff && command.creationCutoff <= command.now) {
      return reject<ServiceAccountRejection>({
        code: 'LegacyAccountsClosed',
        message: `Service accounts can no longer be created since ${command.creationCutoff}; create an API client with the client-credentials flow instead (/v1/api-clients).`,
      });
    }
    if (command.sunsetAt !== null && command.sunsetAt <= command.now) {
      return reject<ServiceAccountRejection>({ code: 'SunsetNotInFuture', message: 'sunsetAt must be in the future.' });
    }
    const { tenantId, accountId, name, secret, sunsetAt, now } = command;
    return accept<ServiceAccountEvent>({
      type: 'ServiceAccountCreated',
      data: { tenantId, accountId, name, secret, sunsetAt, createdAt: now },
    });
  }
  // Another tenant's account does not exist for the caller; a deleted account is gone for
  // every purpose but the idempotent permissions reset.
  if (
    state.status === 'none' ||
    state.tenantId !== command.tenantId ||
    (state.status === 'deleted' && command.type !== 'ResetServiceAccountPermissions')
  ) {
    return notFound();
  }
  return decideOnExisting(command, state);
};

const without = <T>(items: readonly T[], item: T) => items.filter((candidate) => candidate !== item);

const evolve = (state: ServiceAccountState, event: ServiceAccountEvent): ServiceAccountState => {
  if (event.type === 'ServiceAccountCreated') {
    return {
      status: 'active',
      tenantId: event.data.tenantId,
      accountId: event.data.accountId,
      permissions: [],
      projects: [],
      secretGeneration: 0,
      permissionsGeneration: 0,
      sunsetAt: event.data.sunsetAt,
      commandSigningKey: null,
    };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'ServiceAccountPermissionGranted':
      return { ...state, permissions: [...state.permissions, event.data.permission] };
    case 'ServiceAccountPermissionRemoved':
      return { ...state, permissions: without(state.permissions, event.data.permission) };
    case 'ServiceAccountProjectJoined':
      return { ...state, projects: [...state.projects, event.data.projectId] };
    case 'ServiceAccountProjectLeft':
      return { ...state, projects: without(state.projects, event.data.projectId) };
    case 'ClientSecretReset':
      return { ...state, secretGeneration: event.data.generation };
    case 'ServiceAccountPermissionsReset':
      return { ...state, permissions: [], projects: [], permissionsGeneration: event.data.generation };
    case 'ServiceAccountSunsetChanged':
      return { ...state, sunsetAt: event.data.sunsetAt };
    case 'ServiceAccountDeleted':
      return { ...state, status: 'deleted' };
    case 'ServiceAccountCommandKeyRegistered':
      return { ...state, commandSigningKey: { thumbprint: event.data.thumbprint, publicKey: event.data.publicKey } };
    default:
      return assertNever(event);
  }
};

export const serviceAccountDecider: Decider<ServiceAccountState, ServiceAccountCommand, ServiceAccountEvent, ServiceAccountRejection> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};

/**
 * A grant adds its permission to the account's; a new secret (reset) or a new command-signing key
 * hands out everything the account holds, pending reset or not. Removing, leaving, sunsetting
 * and deleting only narrow; a project membership carries no permission of its own, so joining
 * one needs the account's permissions, as any change that lets the account act more widely.
 */
export const serviceAccountAuthorityNeeds: AuthorityNeeds<ServiceAccountState, ServiceAccountCommand> = (command, state) => {
  const has = state.status === 'none' ? [] : state.permissions;
  switch (command.type) {
    case 'CreateServiceAccount':
      return [];
    case 'GrantServiceAccountPermission':
      return [...has, command.permission];
    case 'JoinProject':
    case 'ResetClientSecret':
    case 'RegisterCommandSigningKey':
      return has;
    case 'RemoveServiceAccountPermission':
    case 'LeaveProject':
    case 'ResetServiceAccountPermissions':
    case 'ChangeServiceAccountSunset':
    case 'DeleteServiceAccount':
      return [];
    default:
      return assertNever(command);
  }
};
