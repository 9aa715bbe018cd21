import { Inject, Injectable } from '@nestjs/common';
import { CommandPipeline, commandPipeline, WriteOptions, Written } from '@keyhold/application';
import { Decider, DomainEventShape, DomainRejection } from '@keyhold/domain';
import { CommandContext, EVENT_STORE, EventStore } from '@keyhold/event-store';
import { KeyholdMetrics } from '@keyhold/platform';
import { credentialChangeOf } from './observability/credential-changes';
import { ReadYourWrites } from './read-your-writes';

/**
 * The application's command pipeline as this node runs it: counted in the credential change
 * metrics, and answering only once this node's projections have applied the new events.
 */
@Injectable()
export class CommandRunner implements CommandPipeline {
  private readonly pipeline: CommandPipeline;

  constructor(
    @Inject(EVENT_STORE) events: EventStore,
    private readonly readYourWrites: ReadYourWrites,
    private readonly metrics: KeyholdMetrics,
  ) {
    this.pipeline = commandPipeline(events);
  }

  async run<State, Command, Event extends DomainEventShape, Rejection extends DomainRejection>(
    streamName: string,
    decider: Decider<State, Command, Event, Rejection>,
    command: Command,
    context: CommandContext,
    options?: WriteOptions,
  ): Promise<Written<State, Event>> {
    const result = await this.pipeline.run(streamName, decider, command, context, options);
    for (const event of result.events) {
      const change = credentialChangeOf(event.type);
      if (change) this.metrics.credentialChanges.inc(change);
    }
    await this.readYourWrites.await(result.position);
    return result;
  }
}
