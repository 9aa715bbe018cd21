import { Command } from '@nestjs/cqrs';
import { ApiClientCommand, ApiClientState } from '@keyhold/domain';
import { RequestContext } from '../http/request-context';

export type CreatedApiClient = { clientId: string; clientSecret: string; secretId: string; secretExpiresAt: string };

/** Creates the client with its first secret: both are in the answer, and only there. */
export class CreateApiClientCommand extends Command<CreatedApiClient> {
  constructor(
    readonly tenantId: string,
    readonly name: string,
    readonly secretLifetimeDays: number,
    readonly context: RequestContext,
  ) {
    super();
  }
}

export type AddedClientSecret = { secretId: string; clientSecret: string; expiresAt: string };

/** Adds a secret beside the others, so that a client can rotate without downtime. */
export class AddClientSecretCommand extends Command<AddedClientSecret> {
  constructor(
    readonly tenantId: string,
    readonly clientId: string,
    readonly lifetimeDays: number,
    readonly context: RequestContext,
  ) {
    super();
  }
}

/** Changes that carry no secret: name, redirect URIs, flows, removal or expiry of a secret, deletion. */
export type ApiClientChange = Exclude<ApiClientCommand, { type: 'CreateApiClient' | 'AddClientSecret' }>;

export class ChangeApiClientCommand extends Command<ApiClientState> {
  constructor(
    readonly clientId: string,
    readonly change: ApiClientChange,
    readonly context: RequestContext,
  ) {
    super();
  }
}
