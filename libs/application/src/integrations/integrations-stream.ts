import { Integration, IntegrationCommand, integrationAuthorityNeeds, integrationsDecider, IntegrationsState, streamName, withAuthority } from '@keyhold/domain';
import { CommandPipeline, RequestContext, WriteOptions } from '../command-pipeline';

/**
 * Every integration of a tenant is in the tenant's one integrations stream. Nothing gives an
 * integration, or hands out its tokens, with resources beyond what the caller holds.
 */
export const integrationsStream = (tenantId: string) => streamName('integrations', tenantId);

export const runOnIntegrations = (commands: CommandPipeline, tenantId: string, command: IntegrationCommand, context: RequestContext, options?: WriteOptions) =>
  commands.run(integrationsStream(tenantId), withAuthority(integrationsDecider, context.caller, integrationAuthorityNeeds), command, { ...context, tenantId, now: command.now }, options);

export const integrationIn = (state: IntegrationsState, integrationId: string): Integration => {
  const integration = state.integrations.get(integrationId);
  if (!integration) throw new Error(`Integration ${integrationId} missing after an accepted command`);
  return integration;
};

