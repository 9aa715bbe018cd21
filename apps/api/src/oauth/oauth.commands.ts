import { Command } from '@nestjs/cqrs';
import { IssueAccessTokenInput, GrantedAccessToken, RevokeAccessTokenInput } from '@keyhold/application';

/** Dispatches IssueAccessToken: the command carries the use case's input as it is. */
export class IssueAccessTokenCommand extends Command<GrantedAccessToken> {
  constructor(readonly input: IssueAccessTokenInput) {
    super();
  }
}

/** Dispatches RevokeAccessToken. */
export class RevokeAccessTokenCommand extends Command<void> {
  constructor(readonly input: RevokeAccessTokenInput) {
    super();
  }
}
