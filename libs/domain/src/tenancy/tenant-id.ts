import { v5 as uuidV5 } from 'uuid';

export const TENANT_SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

const KEYHOLD_TENANT_NAMESPACE = '6f1e2b8c-3d4a-5e6f-9a0b-1c2d3e4f5a6b';

/**
 * A tenant's id is a name-based UUID (v5) of its slug, so that creating a tenant appends to a
 * stream that must not exist yet: the event store itself then guarantees that a slug is taken
 * once, without a second uniqueness index that could drift from the log.
 */
export const tenantIdForSlug = (slug: string): string => uuidV5(slug, KEYHOLD_TENANT_NAMESPACE);
