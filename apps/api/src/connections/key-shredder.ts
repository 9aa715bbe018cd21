import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ConnectionDeleted } from '@keyhold/domain';
import { RecordedEvent } from '@keyhold/event-store';
import { DataKeyService } from '@keyhold/key-store';
import { ProjectionsService } from '@keyhold/platform';
import { Projection, READ_MODEL_STORE, ReadModelStore } from '@keyhold/read-models';

/**
 * Destroys the data key of every deleted connection, from the log, checkpointed. The delete
 * command destroys the key itself before it answers; this is the safety net for a node that
 * stopped between storing ConnectionDeleted and destroying the key. Destroying is idempotent.
 */
@Injectable()
export class ConnectionKeyShredder implements Projection, OnModuleInit {
  readonly name = 'connection-key-shredder';

  constructor(
    private readonly dataKeys: DataKeyService,
    private readonly projections: ProjectionsService,
    @Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.projections.run(this, this.readModels);
  }

  async apply(recorded: RecordedEvent): Promise<void> {
    if (recorded.type !== 'ConnectionDeleted') return;
    const { connectionId, deletedAt } = (recorded as unknown as ConnectionDeleted).data;
    await this.dataKeys.destroy(connectionId, deletedAt);
  }
}
