import { DataKeyService } from '@keyhold/key-store';
import { CommandPipeline, RequestContext } from '../command-pipeline';
import { runOnConnection } from './connection-stream';

export type DeleteConnectionInput = {
  readonly tenantId: string;
  readonly connectionId: string;
  readonly context: RequestContext;
  /** The connection's revision the caller saw (If-Match). */
  readonly expectedRevision?: number;
};

/** Deletes the connection and destroys its data key: what the log keeps of its secrets is noise from then on. */
export class DeleteConnection {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly dataKeys: DataKeyService,
  ) {}

  async execute({ tenantId, connectionId, context, expectedRevision }: DeleteConnectionInput): Promise<void> {
    const now = new Date().toISOString();
    await runOnConnection(this.commands, { type: 'DeleteConnection', tenantId, connectionId, deletedBy: context.actorId, now }, context, { expectedRevision });
    // The event first, then the key: a key destroyed before a failed append would break a live
    // connection. Destroying again (a retried delete) is harmless, and the key shredder replays
    // every deletion from the log, should this node stop between the two.
    await this.dataKeys.destroy(connectionId, now);
  }
}
