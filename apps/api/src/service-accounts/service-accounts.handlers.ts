import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { ChangeServiceAccount, CreateServiceAccount, RegisterCommandSigningKey, ResetServiceAccountSecret } from '@keyhold/application';
import { ChangeServiceAccountCommand, CreateServiceAccountCommand, RegisterCommandSigningKeyCommand, ResetServiceAccountSecretCommand } from './service-accounts.commands';

@CommandHandler(CreateServiceAccountCommand)
export class CreateServiceAccountHandler implements ICommandHandler<CreateServiceAccountCommand> {
  constructor(private readonly create: CreateServiceAccount) {}

  execute({ input }: CreateServiceAccountCommand) {
    return this.create.execute(input);
  }
}

@CommandHandler(ResetServiceAccountSecretCommand)
export class ResetServiceAccountSecretHandler implements ICommandHandler<ResetServiceAccountSecretCommand> {
  constructor(private readonly reset: ResetServiceAccountSecret) {}

  execute({ input }: ResetServiceAccountSecretCommand) {
    return this.reset.execute(input);
  }
}

@CommandHandler(ChangeServiceAccountCommand)
export class ChangeServiceAccountHandler implements ICommandHandler<ChangeServiceAccountCommand> {
  constructor(private readonly change: ChangeServiceAccount) {}

  execute({ input }: ChangeServiceAccountCommand) {
    return this.change.execute(input);
  }
}

@CommandHandler(RegisterCommandSigningKeyCommand)
export class RegisterCommandSigningKeyHandler implements ICommandHandler<RegisterCommandSigningKeyCommand> {
  constructor(private readonly register: RegisterCommandSigningKey) {}

  execute({ input }: RegisterCommandSigningKeyCommand) {
    return this.register.execute(input);
  }
}
