import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AddClientSecret, ChangeApiClient, CreateApiClient } from '@keyhold/application';
import { AddClientSecretCommand, ChangeApiClientCommand, CreateApiClientCommand } from './api-clients.commands';

@CommandHandler(CreateApiClientCommand)
export class CreateApiClientHandler implements ICommandHandler<CreateApiClientCommand> {
  constructor(private readonly create: CreateApiClient) {}

  execute({ input }: CreateApiClientCommand) {
    return this.create.execute(input);
  }
}

@CommandHandler(AddClientSecretCommand)
export class AddClientSecretHandler implements ICommandHandler<AddClientSecretCommand> {
  constructor(private readonly add: AddClientSecret) {}

  execute({ input }: AddClientSecretCommand) {
    return this.add.execute(input);
  }
}

@CommandHandler(ChangeApiClientCommand)
export class ChangeApiClientHandler implements ICommandHandler<ChangeApiClientCommand> {
  constructor(private readonly change: ChangeApiClient) {}

  execute({ input }: ChangeApiClientCommand) {
    return this.change.execute(input);
  }
}
