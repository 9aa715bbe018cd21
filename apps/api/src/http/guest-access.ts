import { Inject, Injectable, SetMetadata } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { READ_MODEL_STORE, ReadModelStore, TENANT_SETTINGS, TenantSettingsView } from '@keyhold/read-models';
import { Problem } from './problem';

export const GUEST_ACCESSIBLE = 'keyhold:guest-accessible';
/**
 * A route an anonymous guest may call, without a credential, when the tenant named by the
 * `Keyhold-Tenant` header allows anonymous guest access (off by default). Only routes that
 * reveal nothing about the tenant's users, credentials or settings may carry it (docs/guest-access.md).
 */
export const GuestAccessible = () => SetMetadata(GUEST_ACCESSIBLE, true);

/** Requests per source address and tenant, per window. */
const GUEST_LIMIT = 60;
const WINDOW_MS = 60_000;
/** Bounds memory under a spray of source addresses: the oldest windows go first. */
const MAX_TRACKED = 100_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type GuestUsage = { served: number; refused: number; rateLimited: number; since: string };

/**
 * Admits anonymous guests to guest-accessible routes of tenants that allow it: rate-limited per
 * source address and tenant, and counted per tenant (served, refused because the setting is
 * off, rate-limited), in this node's memory since it started.
 */
@Injectable()
export class GuestAccess {
  private readonly windows = new Map<string, { count: number; startedAt: number }>();
  private readonly usage = new Map<string, GuestUsage>();
  private readonly since = new Date().toISOString();

  constructor(@Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore) {}

  /** Resolves when the guest may go on; a 401 or 429 problem otherwise (Retry-After set on the reply). */
  async admit(request: FastifyRequest, reply: { header(name: string, value: string): unknown }, now = Date.now()): Promise<void> {
    const header = request.headers['keyhold-tenant'];
    const tenantId = typeof header === 'string' && UUID.test(header.trim()) ? header.trim().toLowerCase() : null;
    const settings = tenantId ? await this.readModels.collection<TenantSettingsView>(TENANT_SETTINGS).get(tenantId) : null;
    if (!tenantId || !settings?.allowAnonymousGuestAccess) {
      if (tenantId) this.count(tenantId, 'refused');
      throw new Problem(
        'unauthenticated',
        'A bearer token is required: anonymous guest access is off, or no tenant allowing it was named in the Keyhold-Tenant header.',
      );
    }
    const retryAfter = this.take(`${tenantId}\u0000${request.ip}`, now);
    if (retryAfter > 0) {
      this.count(tenantId, 'rateLimited');
      reply.header('Retry-After', String(retryAfter));
      throw new Problem('rate-limited', `Anonymous guests may make ${GUEST_LIMIT} requests a minute from one address; retry in ${retryAfter} s.`);
    }
    this.count(tenantId, 'served');
  }

  usageOf(tenantId: string): GuestUsage {
    return this.usage.get(tenantId) ?? { served: 0, refused: 0, rateLimited: 0, since: this.since };
  }

  private count(tenantId: string, outcome: 'served' | 'refused' | 'rateLimited'): void {
    const current = this.usageOf(tenantId);
    this.usage.set(tenantId, { ...current, [outcome]: current[outcome] + 1 });
  }

  /** Seconds to wait, or 0 when this request fits in its window. */
  private take(key: string, now: number): number {
    const window = this.windows.get(key);
    if (!window || now - window.startedAt >= WINDOW_MS) {
      this.windows.delete(key);
      this.windows.set(key, { count: 1, startedAt: now });
      while (this.windows.size > MAX_TRACKED) this.windows.delete(this.windows.keys().next().value!);
      return 0;
    }
    if (window.count >= GUEST_LIMIT) return Math.ceil((window.startedAt + WINDOW_MS - now) / 1000);
    window.count += 1;
    return 0;
  }
}
