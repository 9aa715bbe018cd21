import { Command } from '@nestjs/cqrs';
import {
  AccessConnectionInput,
  ActiveConnection,
  CreateConnectionInput,
  DeleteConnectionInput,
  HandedOutCredential,
  OAuthClientDetails,
  UpdateConnectionInput,
  UpdateOAuthClientInput,
} from '@keyhold/application';

/** Dispatches CreateConnection: the command carries the use case's input as it is. */
export class CreateConnectionCommand extends Command<ActiveConnection> {
  constructor(readonly input: CreateConnectionInput) {
    super();
  }
}

/** Dispatches UpdateConnection. */
export class UpdateConnectionCommand extends Command<ActiveConnection> {
  constructor(readonly input: UpdateConnectionInput) {
    super();
  }
}

/** Dispatches UpdateOAuthClient. */
export class UpdateOAuthClientCommand extends Command<OAuthClientDetails> {
  constructor(readonly input: UpdateOAuthClientInput) {
    super();
  }
}

/** Dispatches DeleteConnection. */
export class DeleteConnectionCommand extends Command<void> {
  constructor(readonly input: DeleteConnectionInput) {
    super();
  }
}

/** Dispatches AccessConnection. */
export class AccessConnectionCommand extends Command<HandedOutCredential> {
  constructor(readonly input: AccessConnectionInput) {
    super();
  }
}
