import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { ProjectionsService } from '@keyhold/platform';
import { READ_MODEL_STORE, ReadModelStore, tokensProjection, usersProjection } from '@keyhold/read-models';

/** Keeps the read models up to date from the log; runs beside the API or in its own process. */
@Module({})
export class WorkerModule implements OnModuleInit {
  constructor(
    private readonly projections: ProjectionsService,
    @Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore,
  ) {}

  async onModuleInit(): Promise<void> {
    for (const projection of [tokensProjection(this.readModels), usersProjection(this.readModels)]) {
      await this.projections.run(projection, this.readModels);
    }
  }
}
