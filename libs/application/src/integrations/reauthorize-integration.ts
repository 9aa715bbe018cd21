import { Integration } from '@keyhold/domain';
import { CommandPipeline } from '../command-pipeline';
import { IntegrationRef } from './delete-integration';
import { IntegrationSecrets } from './integration-secrets';
import { integrationIn, runOnIntegrations } from './integrations-stream';
import { IntegrationTokens } from './activate-integration';

export type ReauthorizedIntegration = { readonly integration: Integration; readonly tokens: Pick<IntegrationTokens, 'accessToken' | 'accessTokenSecret'> };

/** A new access token and secret, shown this once; the previous ones stop working before this answers. */
export class ReauthorizeIntegration {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly secrets: IntegrationSecrets,
  ) {}

  async execute({ tenantId, integrationId, context, expectedRevision }: IntegrationRef): Promise<ReauthorizedIntegration> {
    const now = new Date().toISOString();
    const pair = await this.secrets.issueTokenPair(integrationId, now, 'access');
    const command = {
      type: 'ReauthorizeIntegration' as const,
      integrationId,
      accessToken: pair.storedToken,
      accessTokenSecret: pair.storedSecret,
      sealedAccessTokenSecret: pair.sealedSecret,
      reauthorizedBy: context.actorId,
      now,
    };
    const { state } = await runOnIntegrations(this.commands, tenantId, command, context, { expectedRevision });
    return { integration: integrationIn(state, integrationId), tokens: { accessToken: pair.token, accessTokenSecret: pair.tokenSecret } };
  }
}
