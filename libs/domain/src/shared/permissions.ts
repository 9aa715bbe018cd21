/**
 * Rights are permissions granted by a user's role; a token narrows them by its scope and never
 * widens them. Every permission says whether it only reads, so that a `read` scope can keep
 * exactly the reading ones.
 */
export const PERMISSIONS = {
  'tokens:read': 'read',
  'tokens:write': 'write',
  'tokens:read_all': 'read',
  'tokens:revoke_all': 'write',
  'tokens:introspect': 'read',
  'users:read': 'read',
  'users:write': 'write',
  'clients:read': 'read',
  'clients:write': 'write',
  'connections:read': 'read',
  'connections:write': 'write',
  /** Obtains a connection's decrypted credential: a secret leaves, so a read-only scope never has it. */
  'connections:use': 'write',
  /**
   * Obtains a connection's raw secrets even where `connections:use` hands out something else (an
   * OAuth 2.0 connection's access token instead of its client secret): admins only, recorded as a reveal.
   */
  'connections:reveal': 'write',
  'integrations:read': 'read',
  'integrations:write': 'write',
  'settings:read': 'read',
  'settings:write': 'write',
  /** The audit history of the tenant's credentials and their states at past instants. */
  'history:read': 'read',
} as const satisfies Record<string, 'read' | 'write'>;

export type Permission = keyof typeof PERMISSIONS;

export const ROLES = ['admin', 'member', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export const TOKEN_SCOPES = ['read', 'read_write'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];

export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  admin: new Set(ALL_PERMISSIONS),
  member: new Set<Permission>(['tokens:read', 'tokens:write']),
  /** Reads the audit history and manages only its own personal tokens, like a member. */
  auditor: new Set<Permission>(['history:read', 'tokens:read', 'tokens:write']),
};

const SCOPE_PERMISSIONS: Readonly<Record<TokenScope, ReadonlySet<Permission>>> = {
  read: new Set(ALL_PERMISSIONS.filter((permission) => PERMISSIONS[permission] === 'read')),
  read_write: new Set(ALL_PERMISSIONS),
};

/**
 * A set that refuses every change: one is shared by every principal of a role and scope, so a
 * caller that cast it to a Set and added to it would grow everyone's authority. It throws instead.
 */
class UnchangeableSet<T> extends Set<T> {
  constructor(items: Iterable<T>) {
    super();
    for (const item of items) super.add(item);
  }

  override add(): never {
    throw new TypeError('A shared permission set cannot be changed.');
  }

  override delete(): never {
    throw new TypeError('A shared permission set cannot be changed.');
  }

  override clear(): never {
    throw new TypeError('A shared permission set cannot be changed.');
  }
}

const within = (role: Role, scope: TokenScope): ReadonlySet<Permission> =>
  new UnchangeableSet([...ROLE_PERMISSIONS[role]].filter((permission) => SCOPE_PERMISSIONS[scope].has(permission)));

/** Each role's rights within each scope, made once (every verification of a personal token asks); the compiler checks it is complete. */
const EFFECTIVE_PERMISSIONS: Readonly<Record<Role, Readonly<Record<TokenScope, ReadonlySet<Permission>>>>> = {
  admin: { read: within('admin', 'read'), read_write: within('admin', 'read_write') },
  member: { read: within('member', 'read'), read_write: within('member', 'read_write') },
  auditor: { read: within('auditor', 'read'), read_write: within('auditor', 'read_write') },
};

/** The owner's current rights intersected with what the token's scope allows (one shared set per role and scope: never change it). */
export const effectivePermissions = (role: Role, scope: TokenScope): ReadonlySet<Permission> => EFFECTIVE_PERMISSIONS[role][scope];
