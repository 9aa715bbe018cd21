import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { ProjectionsService } from '@keyhold/platform';
import { READ_MODEL_PROJECTIONS, READ_MODEL_STORE, ReadModelStore } from '@keyhold/read-models';

import { LifecycleRelay } from './lifecycle-relay';
import { PermissionsResetConsumer } from './permissions-reset.consumer';
import { SecretExpiryJob } from './secret-expiry.job';

/** Keeps the read models up to date and relays lifecycle events; beside the API or in its own process. */
@Module({ providers: [PermissionsResetConsumer, SecretExpiryJob, LifecycleRelay] })
export class WorkerModule implements OnModuleInit {
  constructor(
    private readonly projections: ProjectionsService,
    @Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore,
    private readonly relay: LifecycleRelay,
  ) {}

  async onModuleInit(): Promise<void> {
    // Read models follow a rebuild's switch-over; the relay's checkpoint is not a read model's.
    for (const build of READ_MODEL_PROJECTIONS) await this.projections.runReadModel(build);
    await this.projections.run(this.relay, this.readModels);
  }
}
