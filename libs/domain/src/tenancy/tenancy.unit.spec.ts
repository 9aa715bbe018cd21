import { deciderSpec } from '../testing/decider-spec';
import { fold } from '../shared/decider';
import { CreateTenant, TenancyEvent, TenantCreated, tenancyDecider, UserAdded, UserRoleChanged } from './tenancy';
import { TENANT_SLUG_PATTERN, tenantIdForSlug } from './tenant-id';

const TENANT_ID = '0b8e4a86-1f3c-5d2e-8a9b-0c1d2e3f4a5b';
const ADMIN_ID = 'user-admin';
const MEMBER_ID = 'user-member';
const T0 = '2025-03-01T09:00:00.000Z';
const T1 = '2025-03-01T10:00:00.000Z';
const T2 = '2025-03-01T11:00:00.000Z';

const createTenant: CreateTenant = {
  type: 'CreateTenant',
  tenantId: TENANT_ID,
  slug: 'acme',
  name: 'Acme Corp',
  firstAdmin: { userId: ADMIN_ID, email: 'Alice@Acme.example' },
  now: T0,
};

const tenantCreated: TenantCreated = {
  type: 'TenantCreated',
  data: { tenantId: TENANT_ID, slug: 'acme', name: 'Acme Corp', createdAt: T0 },
};

const userAdded = (userId: string, email: string, role: 'admin' | 'member', addedAt = T0): UserAdded => ({
  type: 'UserAdded',
  data: { tenantId: TENANT_ID, userId, email, role, addedAt },
});

const adminAdded = userAdded(ADMIN_ID, 'Alice@Acme.example', 'admin');
const memberAdded = userAdded(MEMBER_ID, 'bob@acme.example', 'member', T1);
/** A freshly created tenant: exactly what CreateTenant emits. */
const existingTenant: TenancyEvent[] = [tenantCreated, adminAdded];

const spec = deciderSpec(tenancyDecider);

describe('tenancy decider', () => {
  describe('CreateTenant', () => {
    it('creates the tenant and adds the first user as its admin', () => {
      spec.given([]).when(createTenant).then([tenantCreated, adminAdded]);
    });

    it('refuses to create a tenant that already exists', () => {
      spec.given(existingTenant).when(createTenant).thenRejects('TenantExists');
    });

    it('refuses to create it again even with another slug, name and admin (same stream)', () => {
      spec
        .given(existingTenant)
        .when({ ...createTenant, slug: 'other', name: 'Other', firstAdmin: { userId: 'u-x', email: 'x@other.example' } })
        .thenRejects('TenantExists');
    });

    it('folds into an active tenant whose only user is the admin', () => {
      const state = fold(tenancyDecider, existingTenant);
      expect(state.status === 'active' && { ...state, users: state.users.toObject() }).toEqual({
        status: 'active',
        tenantId: TENANT_ID,
        slug: 'acme',
        users: { [ADMIN_ID]: { email: 'Alice@Acme.example', role: 'admin' } },
      });
    });
  });

  describe('AddUser', () => {
    it('adds a user with the role asked for, on the tenant of the stream', () => {
      spec
        .given(existingTenant)
        .when({ type: 'AddUser', userId: MEMBER_ID, email: 'bob@acme.example', role: 'member', now: T1 })
        .then([memberAdded]);
    });

    it('can add a second admin', () => {
      spec
        .given(existingTenant)
        .when({ type: 'AddUser', userId: 'user-carol', email: 'carol@acme.example', role: 'admin', now: T1 })
        .then([userAdded('user-carol', 'carol@acme.example', 'admin', T1)]);
    });

    it.each(['alice@acme.example', 'ALICE@ACME.EXAMPLE', 'Alice@Acme.example', 'aLiCe@aCmE.eXaMpLe'])(
      'refuses an e-mail already taken, whatever its case (%s)',
      (email) => {
        spec
          .given(existingTenant)
          .when({ type: 'AddUser', userId: 'user-dup', email, role: 'member', now: T1 })
          .thenRejects('EmailTaken');
      },
    );

    it('refuses an e-mail taken by a later user, not only the first admin', () => {
      spec
        .given([...existingTenant, memberAdded])
        .when({ type: 'AddUser', userId: 'user-dup', email: 'BOB@acme.example', role: 'admin', now: T2 })
        .thenRejects('EmailTaken');
    });

    it('accepts a different e-mail that merely shares a prefix', () => {
      spec
        .given(existingTenant)
        .when({ type: 'AddUser', userId: 'user-al', email: 'alice@acme.example.org', role: 'member', now: T1 })
        .then([userAdded('user-al', 'alice@acme.example.org', 'member', T1)]);
    });

    it('keeps the e-mail as first given, for display', () => {
      const state = fold(tenancyDecider, [...existingTenant, userAdded('user-d', 'Dora.Explorer@Acme.example', 'member')]);
      expect(state.status === 'active' && state.users.get('user-d')).toEqual({ email: 'Dora.Explorer@Acme.example', role: 'member' });
    });

    it('refuses on a tenant that does not exist', () => {
      spec
        .given([])
        .when({ type: 'AddUser', userId: MEMBER_ID, email: 'bob@acme.example', role: 'member', now: T1 })
        .thenRejects('TenantNotFound');
    });
  });

  describe('ChangeUserRole', () => {
    it('promotes a member and records the previous role', () => {
      const expected: UserRoleChanged = {
        type: 'UserRoleChanged',
        data: { tenantId: TENANT_ID, userId: MEMBER_ID, previousRole: 'member', role: 'admin', changedAt: T2 },
      };
      spec
        .given([...existingTenant, memberAdded])
        .when({ type: 'ChangeUserRole', userId: MEMBER_ID, role: 'admin', now: T2 })
        .then([expected]);
    });

    it('folds the new role into the state and keeps the e-mail', () => {
      const promoted: UserRoleChanged = {
        type: 'UserRoleChanged',
        data: { tenantId: TENANT_ID, userId: MEMBER_ID, previousRole: 'member', role: 'admin', changedAt: T2 },
      };
      const state = fold(tenancyDecider, [...existingTenant, memberAdded, promoted]);
      expect(state.status === 'active' && state.users.get(MEMBER_ID)).toEqual({ email: 'bob@acme.example', role: 'admin' });
    });

    it('changes nothing when the user already has the role', () => {
      spec
        .given([...existingTenant, memberAdded])
        .when({ type: 'ChangeUserRole', userId: MEMBER_ID, role: 'member', now: T2 })
        .thenNothing();
    });

    it('changes nothing when the only admin is "changed" to admin (no LastAdmin refusal either)', () => {
      spec.given(existingTenant).when({ type: 'ChangeUserRole', userId: ADMIN_ID, role: 'admin', now: T2 }).thenNothing();
    });

    it('refuses to demote the last admin', () => {
      spec
        .given([...existingTenant, memberAdded])
        .when({ type: 'ChangeUserRole', userId: ADMIN_ID, role: 'member', now: T2 })
        .thenRejects('LastAdmin');
    });

    it('demotes one of two admins', () => {
      spec
        .given([...existingTenant, userAdded('user-carol', 'carol@acme.example', 'admin', T1)])
        .when({ type: 'ChangeUserRole', userId: ADMIN_ID, role: 'member', now: T2 })
        .then([
          {
            type: 'UserRoleChanged',
            data: { tenantId: TENANT_ID, userId: ADMIN_ID, previousRole: 'admin', role: 'member', changedAt: T2 },
          },
        ]);
    });

    it('refuses to demote the admin left after the other was demoted', () => {
      const demoted: UserRoleChanged = {
        type: 'UserRoleChanged',
        data: { tenantId: TENANT_ID, userId: ADMIN_ID, previousRole: 'admin', role: 'member', changedAt: T2 },
      };
      spec
        .given([...existingTenant, userAdded('user-carol', 'carol@acme.example', 'admin', T1), demoted])
        .when({ type: 'ChangeUserRole', userId: 'user-carol', role: 'member', now: T2 })
        .thenRejects('LastAdmin');
    });

    it('refuses an unknown user', () => {
      spec
        .given(existingTenant)
        .when({ type: 'ChangeUserRole', userId: 'user-nobody', role: 'admin', now: T2 })
        .thenRejects('UserNotFound');
    });

    it('refuses on a tenant that does not exist', () => {
      spec.given([]).when({ type: 'ChangeUserRole', userId: ADMIN_ID, role: 'member', now: T2 }).thenRejects('TenantNotFound');
    });
  });
});

describe('tenantIdForSlug', () => {
  it('is deterministic: the same slug always gives the same id', () => {
    expect(tenantIdForSlug('acme')).toBe(tenantIdForSlug('acme'));
  });

  it('is a version-5 (name-based) UUID', () => {
    expect(tenantIdForSlug('acme')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('differs for every slug, including near-identical ones', () => {
    const slugs = ['acme', 'acme1', 'acme-1', 'acm', 'bcme', 'a', 'b', 'globex', 'initech', 'umbrella'];
    const ids = new Set(slugs.map(tenantIdForSlug));
    expect(ids.size).toBe(slugs.length);
  });
});

describe('TENANT_SLUG_PATTERN', () => {
  it.each(['acme', 'a', '0', 'acme-corp', 'acme2', '42', 'a-b-c', 'x'.repeat(63), `a${'-'.repeat(61)}z`])(
    'accepts %s',
    (slug) => {
      expect(TENANT_SLUG_PATTERN.test(slug)).toBe(true);
    },
  );

  it.each([
    ['empty', ''],
    ['uppercase', 'Acme'],
    ['leading hyphen', '-acme'],
    ['trailing hyphen', 'acme-'],
    ['a lone hyphen', '-'],
    ['underscore', 'ac_me'],
    ['dot', 'acme.corp'],
    ['space', 'ac me'],
    ['surrounding whitespace', ' acme'],
    ['trailing newline', 'acme\n'],
    ['non-ASCII', 'acmé'],
    ['slash', 'acme/corp'],
    ['64 characters', 'x'.repeat(64)],
  ])('rejects %s', (_, slug) => {
    expect(TENANT_SLUG_PATTERN.test(slug)).toBe(false);
  });
});
