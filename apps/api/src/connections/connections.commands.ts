import { Command } from '@nestjs/cqrs';
import { AccessPurpose, ConnectionState, CredentialSettings, CredentialSettingsPatch } from '@keyhold/domain';
import { RequestContext } from '../http/request-context';
import { Principal } from '../verification/principal';
import { PlainSecrets } from './connection-secrets';

export type ActiveConnection = Extract<ConnectionState, { status: 'active' }>;

export class CreateConnectionCommand extends Command<ActiveConnection> {
  constructor(
    readonly tenantId: string,
    readonly name: string,
    readonly service: string,
    readonly allowedDomains: string[],
    readonly credential: CredentialSettings,
    readonly secrets: PlainSecrets,
    readonly context: RequestContext,
  ) {
    super();
  }
}

export class UpdateConnectionCommand extends Command<ActiveConnection> {
  constructor(
    readonly tenantId: string,
    readonly connectionId: string,
    readonly changes: { name?: string; service?: string; allowedDomains?: string[]; credential?: CredentialSettingsPatch },
    readonly secrets: PlainSecrets,
    readonly context: RequestContext,
  ) {
    super();
  }
}

/** Deletes the connection and destroys its data key: what the log keeps of its secrets is noise from then on. */
export class DeleteConnectionCommand extends Command<void> {
  constructor(
    readonly tenantId: string,
    readonly connectionId: string,
    readonly context: RequestContext,
  ) {
    super();
  }
}

export type AccessedCredential = { connection: ActiveConnection; secrets: PlainSecrets; accessedAt: string };

/** Records the access, then hands the decrypted credential to a caller holding connections:use. */
export class AccessConnectionCommand extends Command<AccessedCredential> {
  constructor(
    readonly principal: Principal,
    readonly connectionId: string,
    readonly targetDomain: string,
    readonly context: RequestContext,
    /** `reveal`: the raw secrets, asked for explicitly (connections:reveal) and recorded as such. */
    readonly purpose: AccessPurpose = 'use',
  ) {
    super();
  }
}
