import { deciderSpec } from '../testing/decider-spec';
import { actingPermissions, CommandSigningKey, ServiceAccountEvent, serviceAccountDecider, StoredSecret } from './service-accounts';

const TENANT = 'tenant-1';
const ACCOUNT = 'account-1';
const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T01:00:00.000Z';
const FIRST: StoredSecret = { secretHash: 'hash-1', hashKeyId: 'k1', hint: 'kh_cs_…aaaa' };
const SECOND: StoredSecret = { secretHash: 'hash-2', hashKeyId: 'k1', hint: 'kh_cs_…bbbb' };
const ids = { tenantId: TENANT, accountId: ACCOUNT };

const created: ServiceAccountEvent = { type: 'ServiceAccountCreated', data: { ...ids, name: 'export', secret: FIRST, sunsetAt: null, createdAt: T0 } };
const granted: ServiceAccountEvent = { type: 'ServiceAccountPermissionGranted', data: { ...ids, permission: 'tokens:introspect', grantedAt: T0 } };
const joined: ServiceAccountEvent = { type: 'ServiceAccountProjectJoined', data: { ...ids, projectId: 'p-1', joinedAt: T0 } };
const secretReset: ServiceAccountEvent = { type: 'ClientSecretReset', data: { ...ids, secret: SECOND, generation: 1, resetAt: T1 } };
const permissionsReset: ServiceAccountEvent = {
  type: 'ServiceAccountPermissionsReset',
  data: { ...ids, generation: 1, removedPermissions: ['tokens:introspect'], leftProjects: ['p-1'], resetAt: T1 },
};
const deleted: ServiceAccountEvent = { type: 'ServiceAccountDeleted', data: { ...ids, deletedAt: T1 } };

const spec = deciderSpec(serviceAccountDecider);

describe('Service account decider', () => {
  it('creates an account with its hashed secret and no rights', () =>
    spec
      .given([])
      .when({ type: 'CreateServiceAccount', ...ids, name: 'export', secret: FIRST, sunsetAt: null, now: T0 })
      .then([created]));

  it('refuses to create an account twice, or with a sunset in the past', () => {
    spec.given([created]).when({ type: 'CreateServiceAccount', ...ids, name: 'again', secret: FIRST, sunsetAt: null, now: T0 }).thenRejects('ServiceAccountExists');
    spec.given([]).when({ type: 'CreateServiceAccount', ...ids, name: 'x', secret: FIRST, sunsetAt: T0, now: T1 }).thenRejects('SunsetNotInFuture');
  });

  it('refuses to create an account from the service-wide cut-off on, and creates one before it', () => {
    const create = { type: 'CreateServiceAccount', ...ids, name: 'export', secret: FIRST, sunsetAt: null, now: T0 } as const;
    spec.given([]).when({ ...create, creationCutoff: T0 }).thenRejects('LegacyAccountsClosed');
    spec.given([]).when({ ...create, now: T1, creationCutoff: T0 }).thenRejects('LegacyAccountsClosed');
    spec.given([]).when({ ...create, creationCutoff: T1 }).then([created]);
    spec.given([]).when({ ...create, creationCutoff: null }).then([created]);
  });

  it.each(['bridge-42', 'p-1', 'abc', 'a'.repeat(63), 'tower-b-level-3'])('lets an account join project %s (the documented format)', (projectId) => {
    spec
      .given([created])
      .when({ type: 'JoinProject', tenantId: TENANT, projectId, now: T0 })
      .then([{ type: 'ServiceAccountProjectJoined', data: { ...ids, projectId, joinedAt: T0 } }]);
  });

  it.each(['Bridge-42', '42', 'ab', 'bridge--42', 'bridge-', '-bridge', 'bridge_42', 'bridge.42', 'a'.repeat(64), 'bridge 42', 'brïdge'])(
    'refuses project id %j, yet lets an account leave a project whatever its id',
    (projectId) => {
      spec.given([created]).when({ type: 'JoinProject', tenantId: TENANT, projectId, now: T0 }).thenRejects('InvalidProjectId');
      const legacy: ServiceAccountEvent = { type: 'ServiceAccountProjectJoined', data: { ...ids, projectId, joinedAt: T0 } };
      spec
        .given([created, legacy])
        .when({ type: 'LeaveProject', tenantId: TENANT, projectId, now: T1 })
        .then([{ type: 'ServiceAccountProjectLeft', data: { ...ids, projectId, leftAt: T1 } }]);
    },
  );

  it('grants a permission once; granting it again changes nothing', () => {
    spec.given([created]).when({ type: 'GrantServiceAccountPermission', tenantId: TENANT, permission: 'tokens:introspect', now: T0 }).then([granted]);
    spec.given([created, granted]).when({ type: 'GrantServiceAccountPermission', tenantId: TENANT, permission: 'tokens:introspect', now: T0 }).thenNothing();
  });

  it('does not exist for another tenant', () =>
    spec.given([created]).when({ type: 'GrantServiceAccountPermission', tenantId: 'tenant-2', permission: 'tokens:read', now: T0 }).thenRejects('ServiceAccountNotFound'));

  it('resets the secret into a new generation without touching the rights yet', () =>
    spec.given([created, granted, joined]).when({ type: 'ResetClientSecret', tenantId: TENANT, secret: SECOND, now: T1 }).then([secretReset]));

  it('records the permissions reset of that generation once, with what it removed', () => {
    spec.given([created, granted, joined, secretReset]).when({ type: 'ResetServiceAccountPermissions', tenantId: TENANT, generation: 1, now: T1 }).then([permissionsReset]);
    spec.given([created, granted, joined, secretReset, permissionsReset]).when({ type: 'ResetServiceAccountPermissions', tenantId: TENANT, generation: 1, now: T1 }).thenNothing();
  });

  it('refuses a permissions reset for a generation that never happened', () =>
    spec.given([created]).when({ type: 'ResetServiceAccountPermissions', tenantId: TENANT, generation: 1, now: T1 }).thenRejects('GenerationUnknown'));

  it('refuses grants and project joins while a permissions reset is pending, but allows removals', () => {
    spec.given([created, granted, secretReset]).when({ type: 'GrantServiceAccountPermission', tenantId: TENANT, permission: 'tokens:read', now: T1 }).thenRejects('PermissionsResetPending');
    spec.given([created, secretReset]).when({ type: 'JoinProject', tenantId: TENANT, projectId: 'p-2', now: T1 }).thenRejects('PermissionsResetPending');
    spec
      .given([created, granted, secretReset])
      .when({ type: 'RemoveServiceAccountPermission', tenantId: TENANT, permission: 'tokens:introspect', now: T1 })
      .then([{ type: 'ServiceAccountPermissionRemoved', data: { ...ids, permission: 'tokens:introspect', removedAt: T1 } }]);
  });

  it('accepts grants again after the permissions reset landed', () =>
    spec
      .given([created, granted, secretReset, permissionsReset])
      .when({ type: 'GrantServiceAccountPermission', tenantId: TENANT, permission: 'tokens:introspect', now: T1 })
      .then([{ type: 'ServiceAccountPermissionGranted', data: { ...ids, permission: 'tokens:introspect', grantedAt: T1 } }]));

  it('forgets a deleted account except for a late permissions reset', () => {
    spec.given([created, deleted]).when({ type: 'ResetClientSecret', tenantId: TENANT, secret: SECOND, now: T1 }).thenRejects('ServiceAccountNotFound');
    spec.given([created, secretReset, deleted]).when({ type: 'ResetServiceAccountPermissions', tenantId: TENANT, generation: 1, now: T1 }).then([
      { type: 'ServiceAccountPermissionsReset', data: { ...ids, generation: 1, removedPermissions: [], leftProjects: [], resetAt: T1 } },
    ]);
  });

  it('sets and clears a sunset in the future only', () => {
    spec.given([created]).when({ type: 'ChangeServiceAccountSunset', tenantId: TENANT, sunsetAt: T1, now: T0 }).then([
      { type: 'ServiceAccountSunsetChanged', data: { ...ids, sunsetAt: T1, changedAt: T0 } },
    ]);
    spec.given([created]).when({ type: 'ChangeServiceAccountSunset', tenantId: TENANT, sunsetAt: T0, now: T1 }).thenRejects('SunsetNotInFuture');
    spec.given([created]).when({ type: 'ChangeServiceAccountSunset', tenantId: TENANT, sunsetAt: null, now: T1 }).thenNothing();
  });

  describe('command-signing key', () => {
    const KEY: CommandSigningKey = { kty: 'OKP', crv: 'Ed25519', x: 'x'.repeat(43) };
    const OTHER: CommandSigningKey = { kty: 'OKP', crv: 'Ed25519', x: 'y'.repeat(43) };
    const registered: ServiceAccountEvent = {
      type: 'ServiceAccountCommandKeyRegistered',
      data: { ...ids, thumbprint: 'thumb-1', publicKey: KEY, registeredAt: T0 },
    };

    it('registers a key, and registering the same key again changes nothing', () => {
      spec.given([created]).when({ type: 'RegisterCommandSigningKey', tenantId: TENANT, publicKey: KEY, thumbprint: 'thumb-1', now: T0 }).then([registered]);
      spec.given([created, registered]).when({ type: 'RegisterCommandSigningKey', tenantId: TENANT, publicKey: KEY, thumbprint: 'thumb-1', now: T1 }).thenNothing();
    });

    it('replaces the key with another one', () =>
      spec
        .given([created, registered])
        .when({ type: 'RegisterCommandSigningKey', tenantId: TENANT, publicKey: OTHER, thumbprint: 'thumb-2', now: T1 })
        .then([{ type: 'ServiceAccountCommandKeyRegistered', data: { ...ids, thumbprint: 'thumb-2', publicKey: OTHER, registeredAt: T1 } }]));

    it("refuses another tenant's or a deleted account", () => {
      spec.given([created]).when({ type: 'RegisterCommandSigningKey', tenantId: 'other', publicKey: KEY, thumbprint: 'thumb-1', now: T0 }).thenRejects('ServiceAccountNotFound');
      spec.given([created, deleted]).when({ type: 'RegisterCommandSigningKey', tenantId: TENANT, publicKey: KEY, thumbprint: 'thumb-1', now: T1 }).thenRejects('ServiceAccountNotFound');
    });
  });

  describe('acting permissions', () => {
    const fold = (events: ServiceAccountEvent[]) => events.reduce(serviceAccountDecider.evolve, serviceAccountDecider.initialState());

    it('are the granted ones, none while a permissions reset is pending, and null once the account cannot act', () => {
      expect(actingPermissions(fold([created, granted]), T1)).toEqual(['tokens:introspect']);
      expect(actingPermissions(fold([created, granted, secretReset]), T1)).toEqual([]);
      expect(actingPermissions(fold([created, granted, deleted]), T1)).toBeNull();
      expect(actingPermissions(fold([]), T1)).toBeNull();
      const sunset: ServiceAccountEvent = { type: 'ServiceAccountSunsetChanged', data: { ...ids, sunsetAt: T1, changedAt: T0 } };
      expect(actingPermissions(fold([created, granted, sunset]), T0)).toEqual(['tokens:introspect']);
      expect(actingPermissions(fold([created, granted, sunset]), T1)).toBeNull();
    });
  });
});
