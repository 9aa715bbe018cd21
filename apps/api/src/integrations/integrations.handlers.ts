import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { ActivateIntegration, ChangeTenantSettings, CreateIntegration, DeleteIntegration, ReauthorizeIntegration } from '@keyhold/application';
import {
  ActivateIntegrationCommand,
  ChangeTenantSettingsCommand,
  CreateIntegrationCommand,
  DeleteIntegrationCommand,
  ReauthorizeIntegrationCommand,
} from './integrations.commands';

@CommandHandler(CreateIntegrationCommand)
export class CreateIntegrationHandler implements ICommandHandler<CreateIntegrationCommand> {
  constructor(private readonly create: CreateIntegration) {}

  execute({ input }: CreateIntegrationCommand) {
    return this.create.execute(input);
  }
}

@CommandHandler(ActivateIntegrationCommand)
export class ActivateIntegrationHandler implements ICommandHandler<ActivateIntegrationCommand> {
  constructor(private readonly activate: ActivateIntegration) {}

  execute({ input }: ActivateIntegrationCommand) {
    return this.activate.execute(input);
  }
}

@CommandHandler(ReauthorizeIntegrationCommand)
export class ReauthorizeIntegrationHandler implements ICommandHandler<ReauthorizeIntegrationCommand> {
  constructor(private readonly reauthorize: ReauthorizeIntegration) {}

  execute({ input }: ReauthorizeIntegrationCommand) {
    return this.reauthorize.execute(input);
  }
}

@CommandHandler(DeleteIntegrationCommand)
export class DeleteIntegrationHandler implements ICommandHandler<DeleteIntegrationCommand> {
  constructor(private readonly remove: DeleteIntegration) {}

  execute({ input }: DeleteIntegrationCommand) {
    return this.remove.execute(input);
  }
}

@CommandHandler(ChangeTenantSettingsCommand)
export class ChangeTenantSettingsHandler implements ICommandHandler<ChangeTenantSettingsCommand> {
  constructor(private readonly change: ChangeTenantSettings) {}

  execute({ input }: ChangeTenantSettingsCommand) {
    return this.change.execute(input);
  }
}
