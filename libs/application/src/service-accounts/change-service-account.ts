import { calculateJwkThumbprint } from 'jose';
import { CommandSigningKey, ServiceAccountCommand, ServiceAccountState } from '@keyhold/domain';
import { CommandPipeline, RequestContext } from '../command-pipeline';
import { AsAsked } from '../guarded-command';
import { RevocationEnforcement } from '../personal-tokens/revoke-token';
import { canonicalInstant, runOnServiceAccount } from './service-account-stream';

/**
 * A change that carries no secret, as a caller asks it (grants, projects, the sunset, deletion):
 * the use case adds the tenant and the time.
 */
export type ServiceAccountChange = AsAsked<
  Exclude<ServiceAccountCommand, { type: 'CreateServiceAccount' | 'ResetClientSecret' | 'ResetServiceAccountPermissions' | 'RegisterCommandSigningKey' }>
>;

type Target = {
  readonly tenantId: string;
  readonly accountId: string;
  readonly context: RequestContext;
  /** The account's revision the caller saw (If-Match). */
  readonly expectedRevision?: number;
};

export type ChangeServiceAccountInput = Target & { readonly change: ServiceAccountChange };

/** Changes a service account's rights, sunset or existence; deleting answers once this node enforces it. */
export class ChangeServiceAccount {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly enforcement: RevocationEnforcement,
  ) {}

  async execute({ tenantId, accountId, change, context, expectedRevision }: ChangeServiceAccountInput): Promise<ServiceAccountState> {
    const asked = change.type === 'ChangeServiceAccountSunset' ? { ...change, sunsetAt: canonicalInstant(change.sunsetAt) } : change;
    const result = await runOnServiceAccount(this.commands, accountId, { ...asked, tenantId, now: new Date().toISOString() }, context, expectedRevision);
    // Deleting ends the account's secret and access tokens.
    if (change.type === 'DeleteServiceAccount') await this.enforcement.confirmRevocation(result.position);
    return result.state;
  }
}

export type RegisterCommandSigningKeyInput = Target & { readonly publicKey: CommandSigningKey };

export type RegisteredCommandSigningKey = { readonly thumbprint: string; readonly publicKey: CommandSigningKey };

/**
 * Registers the public key the account signs its Kafka commands with, named by its RFC 7638
 * thumbprint; another replaces it, and commands signed with the old one stop verifying.
 */
export class RegisterCommandSigningKey {
  constructor(private readonly commands: CommandPipeline) {}

  async execute({ tenantId, accountId, publicKey, context, expectedRevision }: RegisterCommandSigningKeyInput): Promise<RegisteredCommandSigningKey> {
    const key: CommandSigningKey = { kty: publicKey.kty, crv: publicKey.crv, x: publicKey.x };
    const thumbprint = await calculateJwkThumbprint(key, 'sha256');
    await runOnServiceAccount(this.commands, accountId, { type: 'RegisterCommandSigningKey', tenantId, publicKey: key, thumbprint, now: new Date().toISOString() }, context, expectedRevision);
    return { thumbprint, publicKey: key };
  }
}
