import { SecretHasher } from '@keyhold/crypto';
import { CommandPipeline, RequestContext } from '../command-pipeline';
import { newClientSecret } from '../client-secret';
import { runOnServiceAccount } from './service-account-stream';

export type ResetServiceAccountSecretInput = {
  readonly tenantId: string;
  readonly accountId: string;
  readonly context: RequestContext;
  /** The account's revision the caller saw (If-Match). */
  readonly expectedRevision?: number;
};

/** The new secret, shown this once. */
export type ResetServiceAccountSecretResult = { readonly clientSecret: string };

/**
 * Issues a new secret, shown once; the old one dies at once, and the account's permissions and
 * projects with it (the permissions reset that follows).
 */
export class ResetServiceAccountSecret {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly hasher: SecretHasher,
  ) {}

  async execute({ tenantId, accountId, context, expectedRevision }: ResetServiceAccountSecretInput): Promise<ResetServiceAccountSecretResult> {
    const { clientSecret, stored } = newClientSecret(this.hasher);
    await runOnServiceAccount(this.commands, accountId, { type: 'ResetClientSecret', tenantId, secret: stored, now: new Date().toISOString() }, context, expectedRevision);
    return { clientSecret };
  }
}
