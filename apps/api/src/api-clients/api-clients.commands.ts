import { Command } from '@nestjs/cqrs';
import { AddClientSecretInput, AddedClientSecret, ChangeApiClientInput, CreateApiClientInput, CreatedApiClient } from '@keyhold/application';
import { ApiClientState } from '@keyhold/domain';

/** Dispatches CreateApiClient: the command carries the use case's input as it is. */
export class CreateApiClientCommand extends Command<CreatedApiClient> {
  constructor(readonly input: CreateApiClientInput) {
    super();
  }
}

/** Dispatches AddClientSecret. */
export class AddClientSecretCommand extends Command<AddedClientSecret> {
  constructor(readonly input: AddClientSecretInput) {
    super();
  }
}

/** Dispatches ChangeApiClient. */
export class ChangeApiClientCommand extends Command<ApiClientState> {
  constructor(readonly input: ChangeApiClientInput) {
    super();
  }
}
