import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { MESSAGE_BUS, MessageBus } from '@keyhold/messaging';
import { ProjectionsService } from '@keyhold/platform';
import {
  accessTokensProjection,
  apiClientsProjection,
  clientSecretsProjection,
  connectionsProjection,
  integrationsProjection,
  tenantSettingsProjection,
  READ_MODEL_STORE,
  ReadModelStore,
  serviceAccountsProjection,
  tokensProjection,
  usersProjection,
} from '@keyhold/read-models';

import { lifecycleRelay } from './lifecycle-relay';
import { PermissionsResetConsumer } from './permissions-reset.consumer';
import { SecretExpiryJob } from './secret-expiry.job';

/** Keeps the read models up to date and relays lifecycle events; beside the API or in its own process. */
@Module({ providers: [PermissionsResetConsumer, SecretExpiryJob] })
export class WorkerModule implements OnModuleInit {
  constructor(
    private readonly projections: ProjectionsService,
    @Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
  ) {}

  async onModuleInit(): Promise<void> {
    const projections = [
      tokensProjection(this.readModels),
      usersProjection(this.readModels),
      serviceAccountsProjection(this.readModels),
      accessTokensProjection(this.readModels),
      apiClientsProjection(this.readModels),
      clientSecretsProjection(this.readModels),
      connectionsProjection(this.readModels),
      integrationsProjection(this.readModels),
      tenantSettingsProjection(this.readModels),
      lifecycleRelay(this.bus),
    ];
    for (const projection of projections) {
      await this.projections.run(projection, this.readModels);
    }
  }
}
