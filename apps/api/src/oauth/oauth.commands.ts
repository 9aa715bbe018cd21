import { Command } from '@nestjs/cqrs';
import { Permission } from '@keyhold/domain';
import { RequestContext } from '../http/request-context';
import { AuthenticatedClient, RevocableAccessToken } from '../verification/oauth-index';

export type IssuedAccessToken = { accessToken: string; expiresIn: number; scope: Permission[] };

export class IssueAccessTokenCommand extends Command<IssuedAccessToken> {
  constructor(
    readonly client: AuthenticatedClient,
    readonly scope: Permission[],
    readonly context: RequestContext,
  ) {
    super();
  }
}

export class RevokeAccessTokenCommand extends Command<void> {
  constructor(
    readonly token: RevocableAccessToken,
    readonly context: RequestContext,
  ) {
    super();
  }
}
