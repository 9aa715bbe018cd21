import { AuthorityNeeds, Decider, DomainEventShape, DomainRejection, withAuthority } from '@keyhold/domain';
import { CommandPipeline, RequestContext } from './command-pipeline';

/** A change as a caller asks it: the use case adds the tenant and the time. */
export type AsAsked<Command> = Command extends unknown ? Omit<Command, 'tenantId' | 'now'> : never;

/**
 * Runs a command on its stream behind the authority rule, which refuses anything that would give
 * the credential more than the caller holds; the command's own tenant and time become its events'.
 */
export const runWithAuthority = <State, Command extends { readonly tenantId: string; readonly now: string }, Event extends DomainEventShape, Rejection extends DomainRejection>(
  commands: CommandPipeline,
  stream: string,
  decider: Decider<State, Command, Event, Rejection>,
  needs: AuthorityNeeds<State, Command>,
  command: Command,
  context: RequestContext,
  expectedRevision?: number,
) => commands.run(stream, withAuthority(decider, context.caller, needs), command, { ...context, tenantId: command.tenantId, now: command.now }, { expectedRevision });
