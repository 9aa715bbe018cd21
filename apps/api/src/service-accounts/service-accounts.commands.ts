import { Command } from '@nestjs/cqrs';
import {
  ChangeServiceAccountInput,
  CreatedServiceAccount,
  CreateServiceAccountInput,
  RegisterCommandSigningKeyInput,
  RegisteredCommandSigningKey,
  ResetServiceAccountSecretInput,
  ResetServiceAccountSecretResult,
} from '@keyhold/application';
import { ServiceAccountState } from '@keyhold/domain';

/** Dispatches CreateServiceAccount: the command carries the use case's input as it is. */
export class CreateServiceAccountCommand extends Command<CreatedServiceAccount> {
  constructor(readonly input: CreateServiceAccountInput) {
    super();
  }
}

/** Dispatches ResetServiceAccountSecret. */
export class ResetServiceAccountSecretCommand extends Command<ResetServiceAccountSecretResult> {
  constructor(readonly input: ResetServiceAccountSecretInput) {
    super();
  }
}

/** Dispatches ChangeServiceAccount. */
export class ChangeServiceAccountCommand extends Command<ServiceAccountState> {
  constructor(readonly input: ChangeServiceAccountInput) {
    super();
  }
}

/** Dispatches RegisterCommandSigningKey. */
export class RegisterCommandSigningKeyCommand extends Command<RegisteredCommandSigningKey> {
  constructor(readonly input: RegisterCommandSigningKeyInput) {
    super();
  }
}
