import { ApiClientCommand, apiClientAuthorityNeeds, apiClientDecider, streamName } from '@keyhold/domain';
import { CommandPipeline, RequestContext } from '../command-pipeline';
import { runWithAuthority } from '../guarded-command';

export const apiClientStream = (clientId: string): string => streamName('apiClient', clientId);

/** Runs one API-client command on its stream; the decider refuses another tenant's client. */
export const runOnApiClient = (commands: CommandPipeline, clientId: string, command: ApiClientCommand, context: RequestContext, expectedRevision?: number) =>
  runWithAuthority(commands, apiClientStream(clientId), apiClientDecider, apiClientAuthorityNeeds, command, context, expectedRevision);
