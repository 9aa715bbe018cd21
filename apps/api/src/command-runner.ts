import { Inject, Injectable } from '@nestjs/common';
import { Decider, DomainRejection } from '@keyhold/domain';
import { CommandContext, EVENT_STORE, EventStore, handleCommand } from '@keyhold/event-store';
import { RejectionError } from './http/rejection-error';
import { ReadYourWrites } from './read-your-writes';

/**
 * What every command handler does after building its domain command: run it through the one
 * read → decide → append pipeline, turn a refusal into the error the edges map to their
 * protocol, and answer only once this node's projections have applied the new events.
 */
@Injectable()
export class CommandRunner {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly readYourWrites: ReadYourWrites,
  ) {}

  async run<State, Command, Event extends { type: string; data: unknown }, Rejection extends DomainRejection>(
    streamName: string,
    decider: Decider<State, Command, Event, Rejection>,
    command: Command,
    context: CommandContext,
  ) {
    const result = await handleCommand(this.events, streamName, decider, command, context);
    if (result.outcome === 'rejected') throw new RejectionError(result.rejection);
    await this.readYourWrites.await(result.position);
    return result;
  }
}
