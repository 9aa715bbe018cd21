import { Inject, Injectable } from '@nestjs/common';
import { Decider, DomainRejection } from '@keyhold/domain';
import { CommandContext, EVENT_STORE, EventStore, handleCommand } from '@keyhold/event-store';
import { KeyholdMetrics } from '@keyhold/platform';
import { CORRELATION_ID, traced } from '@keyhold/tracing';
import { RejectionError } from './http/rejection-error';
import { credentialChangeOf } from './observability/credential-changes';
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
    private readonly metrics: KeyholdMetrics,
  ) {}

  async run<State, Command, Event extends { type: string; data: unknown }, Rejection extends DomainRejection>(
    streamName: string,
    decider: Decider<State, Command, Event, Rejection>,
    command: Command,
    context: CommandContext,
  ) {
    const type = (command as { type?: string }).type ?? 'command';
    const result = await traced(`command ${type}`, { [CORRELATION_ID]: context.correlationId, 'keyhold.tenant_id': context.tenantId }, () =>
      handleCommand(this.events, streamName, decider, command, context),
    );
    if (result.outcome === 'rejected') throw new RejectionError(result.rejection);
    for (const event of result.events) {
      const change = credentialChangeOf(event.type);
      if (change) this.metrics.credentialChanges.inc(change);
    }
    await this.readYourWrites.await(result.position);
    return result;
  }
}
