import { CommandPipeline, RequestContext } from '../command-pipeline';
import { IntegrationSecrets } from './integration-secrets';
import { runOnIntegrations } from './integrations-stream';

export type IntegrationRef = {
  readonly tenantId: string;
  readonly integrationId: string;
  readonly context: RequestContext;
  /** The revision of the tenant's integrations stream the caller saw (If-Match). */
  readonly expectedRevision?: number;
};

/** Deletes an integration: its access token dies with it, and its key with every sealed signing secret. */
export class DeleteIntegration {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly secrets: IntegrationSecrets,
  ) {}

  async execute({ tenantId, integrationId, context, expectedRevision }: IntegrationRef): Promise<void> {
    const now = new Date().toISOString();
    await runOnIntegrations(this.commands, tenantId, { type: 'DeleteIntegration', integrationId, deletedBy: context.actorId, now }, context, { expectedRevision });
    // The event first, then the key (as for connections): its sealed signing secrets are gone with it.
    await this.secrets.destroy(integrationId, now);
  }
}
