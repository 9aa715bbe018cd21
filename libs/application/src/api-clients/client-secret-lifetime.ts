import { randomUUID } from 'node:crypto';
import { clientSecretLifetime, streamName, TENANT_SETTINGS_EVENTS, tenantSettingsDecider } from '@keyhold/domain';
import { EventStore } from '@keyhold/event-store';
import { SecretHasher } from '@keyhold/crypto';
import { ApplicationError } from '../application-error';
import { newClientSecret } from '../client-secret';
import { readState } from '../read-state';

const DAY_MS = 86_400_000;

/** The service-wide maximum lifetime of an API client's secret (KeyholdConfig names it so). */
export type ClientSecretSettings = { readonly CLIENT_SECRET_MAX_DAYS: number };

/**
 * How long a new secret of the tenant's clients lives, by the domain's rule: the tenant's own
 * maximum as the log has it now, within the service-wide one. `field` names the input that asked,
 * so that a refusal tells the caller which value to lower.
 */
export const secretLifetimeDays = async (events: EventStore, settings: ClientSecretSettings, tenantId: string, requested: number | undefined, field: string): Promise<number> => {
  const { state } = await readState(events, streamName('tenantSettings', tenantId), tenantSettingsDecider, TENANT_SETTINGS_EVENTS);
  const lifetime = clientSecretLifetime(requested, { serviceMaxDays: settings.CLIENT_SECRET_MAX_DAYS, tenantMaxDays: state.clientSecretMaxLifetimeDays });
  if (lifetime.outcome === 'accepted') return lifetime.days;
  const whose = lifetime.maximum === 'tenant' ? "the tenant's maximum" : 'the service-wide maximum';
  throw ApplicationError.invalid(`${field} must be at most ${lifetime.maxDays} days (${whose})`, field);
};

/** A new secret of an API client, with its id; its expiry counts from `nowMs`. */
export const newApiClientSecret = (hasher: SecretHasher, nowMs: number, lifetimeDays: number) => ({
  ...newClientSecret(hasher),
  secretId: randomUUID(),
  expiresAt: new Date(nowMs + lifetimeDays * DAY_MS).toISOString(),
});
