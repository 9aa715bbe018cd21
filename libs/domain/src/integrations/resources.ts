import { Permission } from '../shared/permissions';

/**
 * The API resources an integration can be given access to, published as is by the API
 * (GET /v1/integrations/resources): a name a client may rely on, what it lets the integration
 * do, and the permissions it grants. An integration's rights are computed from this catalogue
 * at each request, so `all` covers resources added later.
 *
 * Deliberately absent: anything that creates users or credentials (an integration could mint
 * itself a user's token and escape its resources) and the administration of connections,
 * integrations and settings.
 */
export const INTEGRATION_RESOURCES = {
  'tokens.read': {
    description: "Read every personal API token of the tenant: labels, scopes, status and hints, never a secret.",
    permissions: ['tokens:read', 'tokens:read_all'],
  },
  'tokens.revoke': {
    description: 'Revoke any personal API token of the tenant.',
    permissions: ['tokens:read_all', 'tokens:revoke_all'],
  },
  'tokens.introspect': {
    description: "Verify a credential presented to another service (RFC 7662 introspection).",
    permissions: ['tokens:introspect'],
  },
  'users.read': {
    description: 'Read the users of the tenant and their roles.',
    permissions: ['users:read'],
  },
  'connections.read': {
    description: 'Read connections: names, services, allowed domains and which secrets are set, never a secret.',
    permissions: ['connections:read'],
  },
  'connections.use': {
    description: "Obtain a connection's decrypted credential for one of its allowed domains (each access is recorded).",
    permissions: ['connections:read', 'connections:use'],
  },
} as const satisfies Record<string, { description: string; permissions: readonly Permission[] }>;

export type IntegrationResource = keyof typeof INTEGRATION_RESOURCES;
export const INTEGRATION_RESOURCE_NAMES = Object.keys(INTEGRATION_RESOURCES) as IntegrationResource[];

export const RESOURCE_ACCESS = ['all', 'custom'] as const;
export type ResourceAccess = (typeof RESOURCE_ACCESS)[number];

export const isIntegrationResource = (name: string): name is IntegrationResource =>
  Object.prototype.hasOwnProperty.call(INTEGRATION_RESOURCES, name);

/** What an integration may do: the permissions of its resources (of every resource, for `all`). */
export const integrationPermissions = (access: ResourceAccess, resources: readonly string[]): ReadonlySet<Permission> => {
  const names = access === 'all' ? INTEGRATION_RESOURCE_NAMES : resources.filter(isIntegrationResource);
  return new Set(names.flatMap((name) => INTEGRATION_RESOURCES[name].permissions));
};
