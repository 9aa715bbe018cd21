import { Command } from '@nestjs/cqrs';
import { ServiceAccountCommand, ServiceAccountState } from '@keyhold/domain';
import { RequestContext } from '../http/request-context';

export type CreatedServiceAccount = { accountId: string; clientSecret: string };

export class CreateServiceAccountCommand extends Command<CreatedServiceAccount> {
  constructor(
    readonly tenantId: string,
    readonly name: string,
    readonly sunsetAt: string | null,
    readonly context: RequestContext,
  ) {
    super();
  }
}

/** Issues a new secret; the old one dies at once, and the account's rights with it. */
export class ResetServiceAccountSecretCommand extends Command<{ clientSecret: string; generation: number }> {
  constructor(
    readonly tenantId: string,
    readonly accountId: string,
    readonly context: RequestContext,
  ) {
    super();
  }
}

/** Changes that carry no secret: grants, projects, sunset, deletion, the permissions reset. */
export type ServiceAccountChange = Exclude<ServiceAccountCommand, { type: 'CreateServiceAccount' | 'ResetClientSecret' }>;

export class ChangeServiceAccountCommand extends Command<ServiceAccountState> {
  constructor(
    readonly accountId: string,
    readonly change: ServiceAccountChange,
    readonly context: RequestContext,
  ) {
    super();
  }
}
