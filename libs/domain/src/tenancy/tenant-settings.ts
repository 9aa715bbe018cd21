import { accept, assertNever, Decider } from '../shared/decider';
import { Rejection } from '../shared/rejection';

/**
 * Tenant-wide settings, in a stream of their own (`tenantSettings-<tenant id>`) so that changing
 * one never contends with the tenant's users. For now one: whether anonymous guests may use the
 * API's public resources, off unless an admin turns it on.
 */
export type AnonymousGuestAccessChanged = {
  type: 'AnonymousGuestAccessChanged';
  data: { tenantId: string; allowed: boolean; changedAt: string; changedBy: string };
};
export type TenantSettingsEvent = AnonymousGuestAccessChanged;

export type SetAnonymousGuestAccess = { type: 'SetAnonymousGuestAccess'; tenantId: string; allowed: boolean; changedBy: string; now: string };
export type TenantSettingsCommand = SetAnonymousGuestAccess;

export type TenantSettingsRejection = Rejection<never>;

export type TenantSettings = { readonly allowAnonymousGuestAccess: boolean };

export const DEFAULT_TENANT_SETTINGS: TenantSettings = { allowAnonymousGuestAccess: false };

const decide = (command: TenantSettingsCommand, state: TenantSettings) => {
  switch (command.type) {
    case 'SetAnonymousGuestAccess':
      if (state.allowAnonymousGuestAccess === command.allowed) return accept<TenantSettingsEvent>();
      return accept<TenantSettingsEvent>({
        type: 'AnonymousGuestAccessChanged',
        data: { tenantId: command.tenantId, allowed: command.allowed, changedAt: command.now, changedBy: command.changedBy },
      });
    default:
      return assertNever(command.type);
  }
};

const evolve = (state: TenantSettings, event: TenantSettingsEvent): TenantSettings => {
  switch (event.type) {
    case 'AnonymousGuestAccessChanged':
      return { ...state, allowAnonymousGuestAccess: event.data.allowed };
    default:
      return assertNever(event.type);
  }
};

export const tenantSettingsDecider: Decider<TenantSettings, TenantSettingsCommand, TenantSettingsEvent, TenantSettingsRejection> = {
  initialState: () => DEFAULT_TENANT_SETTINGS,
  decide,
  evolve,
};
