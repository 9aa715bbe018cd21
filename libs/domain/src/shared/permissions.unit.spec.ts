import { effectivePermissions, Permission, PERMISSIONS, ROLE_PERMISSIONS, ROLES, TOKEN_SCOPES } from './permissions';

const ALL = Object.keys(PERMISSIONS) as Permission[];
const READING = ALL.filter((permission) => PERMISSIONS[permission] === 'read');
const ADMIN_ONLY: Permission[] = ['tokens:read_all', 'tokens:revoke_all', 'tokens:introspect', 'users:read', 'users:write'];

const sorted = (permissions: Iterable<Permission>) => [...permissions].sort();

describe('effectivePermissions', () => {
  it.each(ROLES)('a read-scoped token of a %s keeps only reading permissions', (role) => {
    const permissions = effectivePermissions(role, 'read');
    expect(permissions.size).toBeGreaterThan(0);
    for (const permission of permissions) expect(PERMISSIONS[permission]).toBe('read');
    expect(sorted(permissions)).toEqual(sorted([...ROLE_PERMISSIONS[role]].filter((p) => READING.includes(p))));
  });

  it("a member's read_write token has exactly the member's rights, never an admin's", () => {
    const permissions = effectivePermissions('member', 'read_write');
    expect(sorted(permissions)).toEqual(['tokens:read', 'tokens:write']);
    for (const permission of ADMIN_ONLY) expect(permissions.has(permission)).toBe(false);
  });

  it("a member's read token can only read its own tokens", () => {
    expect(sorted(effectivePermissions('member', 'read'))).toEqual(['tokens:read']);
  });

  it("an admin's read token can read and introspect but not write", () => {
    const permissions = effectivePermissions('admin', 'read');
    expect(permissions.has('tokens:introspect')).toBe(true);
    expect(permissions.has('tokens:read_all')).toBe(true);
    expect(permissions.has('users:read')).toBe(true);
    expect(permissions.has('tokens:write')).toBe(false);
    expect(permissions.has('tokens:revoke_all')).toBe(false);
    expect(permissions.has('users:write')).toBe(false);
    expect(sorted(permissions)).toEqual(sorted(READING));
  });

  it("an admin's read_write token has every permission", () => {
    expect(sorted(effectivePermissions('admin', 'read_write'))).toEqual(sorted(ALL));
  });

  it.each(ROLES.flatMap((role) => TOKEN_SCOPES.map((scope) => [role, scope] as const)))(
    'a %s token with scope %s never widens the role',
    (role, scope) => {
      for (const permission of effectivePermissions(role, scope)) expect(ROLE_PERMISSIONS[role].has(permission)).toBe(true);
    },
  );

  it('returns a set that refuses changes: mutating it throws and changes neither later answers nor the role', () => {
    const first = effectivePermissions('member', 'read') as Set<Permission>;
    expect(() => first.add('users:write')).toThrow(TypeError);
    expect(() => first.delete('tokens:read')).toThrow(TypeError);
    expect(() => first.clear()).toThrow(TypeError);
    expect(effectivePermissions('member', 'read').has('users:write')).toBe(false);
    expect(effectivePermissions('member', 'read').has('tokens:read')).toBe(true);
    expect(ROLE_PERMISSIONS.member.has('users:write')).toBe(false);
  });
});

describe('ROLE_PERMISSIONS', () => {
  it('every permission of a member is also an admin permission', () => {
    for (const permission of ROLE_PERMISSIONS.member) expect(ROLE_PERMISSIONS.admin.has(permission)).toBe(true);
  });

  it('admin holds strictly more than member', () => {
    expect(ROLE_PERMISSIONS.admin.size).toBeGreaterThan(ROLE_PERMISSIONS.member.size);
  });

  it('every permission is classified as read or write', () => {
    for (const permission of ALL) expect(['read', 'write']).toContain(PERMISSIONS[permission]);
  });
});
