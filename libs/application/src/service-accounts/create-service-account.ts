import { randomUUID } from 'node:crypto';
import { SecretHasher } from '@keyhold/crypto';
import { CommandPipeline, RequestContext } from '../command-pipeline';
import { newClientSecret } from '../client-secret';
import { canonicalInstant, runOnServiceAccount } from './service-account-stream';

/** The service-wide cut-off for new service accounts (KeyholdConfig names it so); unset, none. */
export type ServiceAccountSettings = { readonly SERVICE_ACCOUNT_CREATION_CUTOFF?: string };

export type CreateServiceAccountInput = {
  readonly tenantId: string;
  readonly name: string;
  /** An ISO 8601 instant after which the account stops authenticating; null for none. */
  readonly sunsetAt: string | null;
  readonly context: RequestContext;
};

export type CreatedServiceAccount = { readonly accountId: string; readonly clientSecret: string; readonly sunsetAt: string | null };

/** Creates a service account with no permissions and its secret, shown this once. */
export class CreateServiceAccount {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly hasher: SecretHasher,
    private readonly settings: ServiceAccountSettings,
  ) {}

  async execute({ tenantId, name, context, ...input }: CreateServiceAccountInput): Promise<CreatedServiceAccount> {
    const creationCutoff = canonicalInstant(this.settings.SERVICE_ACCOUNT_CREATION_CUTOFF ?? null);
    const sunsetAt = canonicalInstant(input.sunsetAt);
    const accountId = randomUUID();
    const now = new Date().toISOString();
    const { clientSecret, stored } = newClientSecret(this.hasher);
    await runOnServiceAccount(this.commands, accountId, { type: 'CreateServiceAccount', tenantId, accountId, name, secret: stored, sunsetAt, creationCutoff, now }, context);
    return { accountId, clientSecret, sunsetAt };
  }
}
