import { Injectable } from '@nestjs/common';
import { CONNECTION_EVENTS } from '@keyhold/domain';
import { RecordedEvent } from '@keyhold/event-store';
import { DataKeyService } from '@keyhold/key-store';
import { Projection } from '@keyhold/read-models';

/**
 * Destroys the data key of every deleted connection, from the log, checkpointed. The delete
 * command destroys the key itself before it answers; this is the safety net for a node that
 * stopped between storing ConnectionDeleted and destroying the key. Destroying is idempotent.
 * It runs with the worker, so it runs wherever the read models are kept, whichever process
 * serves the API.
 */
@Injectable()
export class ConnectionKeyShredder implements Projection {
  readonly name = 'connection-key-shredder';

  constructor(private readonly dataKeys: DataKeyService) {}

  async apply(recorded: RecordedEvent): Promise<void> {
    if (!CONNECTION_EVENTS.includes(recorded) || recorded.type !== 'ConnectionDeleted') return;
    const { connectionId, deletedAt } = recorded.data;
    await this.dataKeys.destroy(connectionId, deletedAt);
  }
}
