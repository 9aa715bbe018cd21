import { Command } from '@nestjs/cqrs';
import {
  ActivateIntegrationInput,
  ActivationResult,
  ChangeTenantSettingsInput,
  CreateIntegrationInput,
  IntegrationRef,
  ReauthorizedIntegration,
  ReauthorizeIntegrationInput,
} from '@keyhold/application';
import { Integration, TenantSettings } from '@keyhold/domain';

/** Dispatches CreateIntegration: the command carries the use case's input as it is. */
export class CreateIntegrationCommand extends Command<Integration> {
  constructor(readonly input: CreateIntegrationInput) {
    super();
  }
}

/** Dispatches ActivateIntegration. */
export class ActivateIntegrationCommand extends Command<ActivationResult> {
  constructor(readonly input: ActivateIntegrationInput) {
    super();
  }
}

/** Dispatches ReauthorizeIntegration. */
export class ReauthorizeIntegrationCommand extends Command<ReauthorizedIntegration> {
  constructor(readonly input: ReauthorizeIntegrationInput) {
    super();
  }
}

/** Dispatches DeleteIntegration. */
export class DeleteIntegrationCommand extends Command<void> {
  constructor(readonly input: IntegrationRef) {
    super();
  }
}

/** Dispatches ChangeTenantSettings. */
export class ChangeTenantSettingsCommand extends Command<TenantSettings> {
  constructor(readonly input: ChangeTenantSettingsInput) {
    super();
  }
}
