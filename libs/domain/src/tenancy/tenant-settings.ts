import { accept, assertNever, Decider } from '../shared/decider';
import { Rejection } from '../shared/rejection';

/**
 * Tenant-wide settings, in a stream of their own (`tenantSettings-<tenant id>`) so that changing
 * one never contends with the tenant's users: whether anonymous guests may use the API's public
 * resources (off unless an admin turns it on), and the tenant's maximum lifetime of an API
 * client's secret (null: none of its own, the service-wide maximum applies; the API keeps it
 * within that maximum).
 */
export type AnonymousGuestAccessChanged = {
  type: 'AnonymousGuestAccessChanged';
  data: { tenantId: string; allowed: boolean; changedAt: string; changedBy: string };
};
export type ClientSecretMaxLifetimeChanged = {
  type: 'ClientSecretMaxLifetimeChanged';
  data: { tenantId: string; maxDays: number | null; changedAt: string; changedBy: string };
};
export type TenantSettingsEvent = AnonymousGuestAccessChanged | ClientSecretMaxLifetimeChanged;

export type SetAnonymousGuestAccess = { type: 'SetAnonymousGuestAccess'; tenantId: string; allowed: boolean; changedBy: string; now: string };
export type SetClientSecretMaxLifetime = { type: 'SetClientSecretMaxLifetime'; tenantId: string; maxDays: number | null; changedBy: string; now: string };
export type TenantSettingsCommand = SetAnonymousGuestAccess | SetClientSecretMaxLifetime;

export type TenantSettingsRejection = Rejection<never>;

export type TenantSettings = { readonly allowAnonymousGuestAccess: boolean; readonly clientSecretMaxLifetimeDays: number | null };

export const DEFAULT_TENANT_SETTINGS: TenantSettings = { allowAnonymousGuestAccess: false, clientSecretMaxLifetimeDays: null };

const decide = (command: TenantSettingsCommand, state: TenantSettings) => {
  switch (command.type) {
    case 'SetAnonymousGuestAccess':
      if (state.allowAnonymousGuestAccess === command.allowed) return accept<TenantSettingsEvent>();
      return accept<TenantSettingsEvent>({
        type: 'AnonymousGuestAccessChanged',
        data: { tenantId: command.tenantId, allowed: command.allowed, changedAt: command.now, changedBy: command.changedBy },
      });
    case 'SetClientSecretMaxLifetime':
      if (state.clientSecretMaxLifetimeDays === command.maxDays) return accept<TenantSettingsEvent>();
      return accept<TenantSettingsEvent>({
        type: 'ClientSecretMaxLifetimeChanged',
        data: { tenantId: command.tenantId, maxDays: command.maxDays, changedAt: command.now, changedBy: command.changedBy },
      });
    default:
      return assertNever(command);
  }
};

const evolve = (state: TenantSettings, event: TenantSettingsEvent): TenantSettings => {
  switch (event.type) {
    case 'AnonymousGuestAccessChanged':
      return { ...state, allowAnonymousGuestAccess: event.data.allowed };
    case 'ClientSecretMaxLifetimeChanged':
      return { ...state, clientSecretMaxLifetimeDays: event.data.maxDays };
    default:
      return assertNever(event);
  }
};

export const tenantSettingsDecider: Decider<TenantSettings, TenantSettingsCommand, TenantSettingsEvent, TenantSettingsRejection> = {
  initialState: () => DEFAULT_TENANT_SETTINGS,
  decide,
  evolve,
};
