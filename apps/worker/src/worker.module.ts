import { Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import { BACKGROUND_CHECKPOINTS, BackgroundCheckpoints, ProjectionsService } from '@keyhold/platform';
import { READ_MODEL_PROJECTIONS } from '@keyhold/read-models';

import { ConnectionKeyShredder } from './connection-key-shredder';
import { LifecycleRelay } from './lifecycle-relay';
import { PermissionsResetConsumer } from './permissions-reset.consumer';
import { SecretExpiryJob } from './secret-expiry.job';

/** Keeps the read models up to date and relays lifecycle events; beside the API or in its own process. */
@Module({ providers: [PermissionsResetConsumer, SecretExpiryJob, LifecycleRelay, ConnectionKeyShredder] })
export class WorkerModule implements OnApplicationBootstrap {
  constructor(
    private readonly projections: ProjectionsService,
    @Inject(BACKGROUND_CHECKPOINTS) private readonly backgroundCheckpoints: BackgroundCheckpoints,
    private readonly relay: LifecycleRelay,
    private readonly keyShredder: ConnectionKeyShredder,
  ) {}

  /**
   * After every module's init, so that beside the API the credential index loads first: the API
   * listens once it has, and a node whose read models are far behind (dropped, or a long outage)
   * answers verifications while they catch up, instead of sharing the CPU with them until then.
   */
  async onApplicationBootstrap(): Promise<void> {
    // Read models follow a rebuild's switch-over; the relay's and the shredder's checkpoints are not read models'.
    await this.projections.runReadModels(READ_MODEL_PROJECTIONS);
    await this.projections.runInBackground([this.relay, this.keyShredder], this.backgroundCheckpoints);
  }
}
