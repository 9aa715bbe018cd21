import { Caller, Decider, DomainEventShape, DomainRejection } from '@keyhold/domain';
import { CommandContext, ConcurrencyConflictError, EventStore, GlobalPosition, handleCommand, WrongExpectedRevisionError } from '@keyhold/event-store';
import { CORRELATION_ID, traced } from '@keyhold/tracing';
import { ApplicationError } from './application-error';

/**
 * Who asks, whatever the edge (an HTTP request, a Kafka command, the operator's CLI): for the
 * events' metadata, and the caller whose authority bounds what a use case may hand out (never
 * written to an event). The tenant and the time are each command's own.
 */
export type RequestContext = Omit<CommandContext, 'tenantId' | 'now'> & { readonly caller: Caller };

/** `expectedRevision`: the revision the caller saw (If-Match); a stream that moved on is a stale-revision failure. */
export type WriteOptions = { readonly expectedRevision?: number };

export type Written<State, Event> = {
  readonly state: State;
  readonly events: readonly Event[];
  /** Where the last new event landed; null when the command changed nothing. */
  readonly position: GlobalPosition | null;
};

/**
 * How use cases write: read → decide → append on one stream, a refusal thrown as an
 * ApplicationError. An edge may add what must happen before it answers (read-your-writes,
 * metrics) by wrapping it; use cases see only this.
 */
export interface CommandPipeline {
  run<State, Command, Event extends DomainEventShape, Rejection extends DomainRejection>(
    streamName: string,
    decider: Decider<State, Command, Event, Rejection>,
    command: Command,
    context: CommandContext,
    options?: WriteOptions,
  ): Promise<Written<State, Event>>;
}

/**
 * The pipeline over a store, traced (a refusal is an answer, not a failed span): what edges
 * wrap, and what a test or a script runs as it is.
 */
export const commandPipeline = (store: EventStore): CommandPipeline => ({
  async run(streamName, decider, command, context, options = {}) {
    const type = (command as { type?: string }).type ?? 'command';
    let result;
    try {
      result = await traced(`command ${type}`, { [CORRELATION_ID]: context.correlationId, 'keyhold.tenant_id': context.tenantId }, () =>
        handleCommand(store, streamName, decider, command, context, options),
      );
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) {
        throw new ApplicationError({ kind: 'stale-revision', message: 'The resource changed since the revision the request expected; read it again, then retry.' });
      }
      if (error instanceof ConcurrencyConflictError) {
        throw new ApplicationError({ kind: 'conflict', message: 'The resource kept changing while the request was handled; retry it.' });
      }
      throw error;
    }
    if (result.outcome === 'rejected') throw ApplicationError.rejected(result.rejection);
    return result;
  },
});
