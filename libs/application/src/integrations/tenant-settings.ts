import { DEFAULT_TENANT_SETTINGS, streamName, TenantSettings, TenantSettingsCommand, tenantSettingsDecider } from '@keyhold/domain';
import { ReadModelStore, TENANT_SETTINGS, TenantSettingsView } from '@keyhold/read-models';
import { ApplicationError } from '../application-error';
import { CommandPipeline, RequestContext } from '../command-pipeline';

const settingsOf = (settings: Partial<TenantSettings> | null): TenantSettings => ({
  allowAnonymousGuestAccess: settings?.allowAnonymousGuestAccess ?? DEFAULT_TENANT_SETTINGS.allowAnonymousGuestAccess,
  clientSecretMaxLifetimeDays: settings?.clientSecretMaxLifetimeDays ?? DEFAULT_TENANT_SETTINGS.clientSecretMaxLifetimeDays,
});

/** The tenant's settings, the defaults where it set none. */
export class GetTenantSettings {
  constructor(private readonly readModels: ReadModelStore) {}

  async execute({ tenantId }: { readonly tenantId: string }): Promise<TenantSettings> {
    return settingsOf(await this.readModels.collection<TenantSettingsView>(TENANT_SETTINGS).get(tenantId));
  }
}

export type ChangeTenantSettingsInput = {
  readonly tenantId: string;
  /** The settings given, each changed on its own; those left out stay as they are. */
  readonly change: Partial<TenantSettings>;
  readonly context: RequestContext;
};

/** The service-wide limit a tenant's own secret lifetime may not exceed. */
export type SecretLifetimePolicy = { readonly CLIENT_SECRET_MAX_DAYS: number };

/** Changes the settings given, one domain command (and one event) per setting. */
export class ChangeTenantSettings {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly settings: GetTenantSettings,
    private readonly policy: SecretLifetimePolicy,
  ) {}

  async execute({ tenantId, change, context }: ChangeTenantSettingsInput): Promise<TenantSettings> {
    const { allowAnonymousGuestAccess, clientSecretMaxLifetimeDays } = change;
    const serviceMax = this.policy.CLIENT_SECRET_MAX_DAYS;
    if (typeof clientSecretMaxLifetimeDays === 'number' && clientSecretMaxLifetimeDays > serviceMax) {
      throw ApplicationError.invalid(`clientSecretMaxLifetimeDays must be at most ${serviceMax} days (the service-wide maximum)`, 'clientSecretMaxLifetimeDays');
    }
    const now = new Date().toISOString();
    const changedBy = context.actorId;
    const commands: TenantSettingsCommand[] = [];
    if (allowAnonymousGuestAccess !== undefined) commands.push({ type: 'SetAnonymousGuestAccess', tenantId, allowed: allowAnonymousGuestAccess, changedBy, now });
    if (clientSecretMaxLifetimeDays !== undefined) commands.push({ type: 'SetClientSecretMaxLifetime', tenantId, maxDays: clientSecretMaxLifetimeDays, changedBy, now });
    if (commands.length === 0) return this.settings.execute({ tenantId });
    let last: TenantSettings = DEFAULT_TENANT_SETTINGS;
    for (const command of commands) {
      last = (await this.commands.run(streamName('tenantSettings', tenantId), tenantSettingsDecider, command, { ...context, tenantId, now })).state;
    }
    return settingsOf(last);
  }
}
