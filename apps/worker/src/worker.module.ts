import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { MESSAGE_BUS, MessageBus } from '@keyhold/messaging';
import { ProjectionsService } from '@keyhold/platform';
import { READ_MODEL_STORE, ReadModelStore, tokensProjection, usersProjection } from '@keyhold/read-models';

import { lifecycleRelay } from './lifecycle-relay';

/** Keeps the read models up to date and relays lifecycle events; beside the API or in its own process. */
@Module({})
export class WorkerModule implements OnModuleInit {
  constructor(
    private readonly projections: ProjectionsService,
    @Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
  ) {}

  async onModuleInit(): Promise<void> {
    for (const projection of [tokensProjection(this.readModels), usersProjection(this.readModels), lifecycleRelay(this.bus)]) {
      await this.projections.run(projection, this.readModels);
    }
  }
}
