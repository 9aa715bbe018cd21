import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AccessConnection, CreateConnection, DeleteConnection, UpdateConnection, UpdateOAuthClient } from '@keyhold/application';
import { AccessConnectionCommand, CreateConnectionCommand, DeleteConnectionCommand, UpdateConnectionCommand, UpdateOAuthClientCommand } from './connections.commands';

@CommandHandler(CreateConnectionCommand)
export class CreateConnectionHandler implements ICommandHandler<CreateConnectionCommand> {
  constructor(private readonly create: CreateConnection) {}

  execute({ input }: CreateConnectionCommand) {
    return this.create.execute(input);
  }
}

@CommandHandler(UpdateConnectionCommand)
export class UpdateConnectionHandler implements ICommandHandler<UpdateConnectionCommand> {
  constructor(private readonly update: UpdateConnection) {}

  execute({ input }: UpdateConnectionCommand) {
    return this.update.execute(input);
  }
}

@CommandHandler(UpdateOAuthClientCommand)
export class UpdateOAuthClientHandler implements ICommandHandler<UpdateOAuthClientCommand> {
  constructor(private readonly update: UpdateOAuthClient) {}

  execute({ input }: UpdateOAuthClientCommand) {
    return this.update.execute(input);
  }
}

@CommandHandler(DeleteConnectionCommand)
export class DeleteConnectionHandler implements ICommandHandler<DeleteConnectionCommand> {
  constructor(private readonly remove: DeleteConnection) {}

  execute({ input }: DeleteConnectionCommand) {
    return this.remove.execute(input);
  }
}

@CommandHandler(AccessConnectionCommand)
export class AccessConnectionHandler implements ICommandHandler<AccessConnectionCommand> {
  constructor(private readonly access: AccessConnection) {}

  execute({ input }: AccessConnectionCommand) {
    return this.access.execute(input);
  }
}
