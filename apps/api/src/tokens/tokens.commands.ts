import { Command } from '@nestjs/cqrs';
import { IssuedToken, IssueTokenInput, OwnedToken, RevokeTokenInput } from '@keyhold/application';

/** Dispatches IssuePersonalToken: the command carries the use case's input as it is. */
export class IssueTokenCommand extends Command<IssuedToken> {
  constructor(readonly input: IssueTokenInput) {
    super();
  }
}

/** Dispatches RevokePersonalToken. */
export class RevokeTokenCommand extends Command<OwnedToken> {
  constructor(readonly input: RevokeTokenInput) {
    super();
  }
}
