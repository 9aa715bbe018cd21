import { Integration, IntegrationCommand, integrationAuthorityNeeds, integrationsDecider, streamName, withAuthority } from '@keyhold/domain';
import { CommandRunner } from '../command-runner';
import { RequestContext } from '../http/request-context';

/**
 * Every integration of a tenant is in the tenant's one integrations stream. Nothing gives an
 * integration, or hands out its tokens, with resources beyond what the caller holds.
 */
export const run = (runner: CommandRunner, tenantId: string, command: IntegrationCommand, context: RequestContext) =>
  runner.run(streamName('integrations', tenantId), withAuthority(integrationsDecider, context.caller, integrationAuthorityNeeds), command, {
    ...context,
    tenantId,
    now: command.now,
  });

export const integrationIn = (state: { integrations: Readonly<Record<string, Integration>> }, integrationId: string): Integration => {
  const integration = state.integrations[integrationId];
  if (!integration) throw new Error(`Integration ${integrationId} missing after an accepted command`);
  return integration;
};

