import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { IssuePersonalToken, RevokePersonalToken } from '@keyhold/application';
import { IssueTokenCommand, RevokeTokenCommand } from './tokens.commands';

@CommandHandler(IssueTokenCommand)
export class IssueTokenHandler implements ICommandHandler<IssueTokenCommand> {
  constructor(private readonly issue: IssuePersonalToken) {}

  execute({ input }: IssueTokenCommand) {
    return this.issue.execute(input);
  }
}

@CommandHandler(RevokeTokenCommand)
export class RevokeTokenHandler implements ICommandHandler<RevokeTokenCommand> {
  constructor(private readonly revoke: RevokePersonalToken) {}

  execute({ input }: RevokeTokenCommand) {
    return this.revoke.execute(input);
  }
}
