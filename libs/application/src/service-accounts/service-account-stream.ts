import { ServiceAccountCommand, serviceAccountAuthorityNeeds, serviceAccountDecider, streamName } from '@keyhold/domain';
import { CommandPipeline, RequestContext } from '../command-pipeline';
import { runWithAuthority } from '../guarded-command';

export const serviceAccountStream = (accountId: string): string => streamName('serviceAccount', accountId);

/** Runs one service-account command on its stream; the decider refuses another tenant's account. */
export const runOnServiceAccount = (commands: CommandPipeline, accountId: string, command: ServiceAccountCommand, context: RequestContext, expectedRevision?: number) =>
  runWithAuthority(commands, serviceAccountStream(accountId), serviceAccountDecider, serviceAccountAuthorityNeeds, command, context, expectedRevision);

/** An instant as the domain compares them (ISO 8601 in UTC, milliseconds), whatever form it was given in. */
export const canonicalInstant = (instant: string | null): string | null => (instant === null ? null : new Date(instant).toISOString());
