import { Integration } from '@keyhold/domain';
import { ApplicationError } from '../application-error';
import { CommandPipeline } from '../command-pipeline';
import { CredentialHolder } from '../credential-holder';
import { ConfirmUserPassword } from '../users/passwords';
import { IntegrationRef } from './delete-integration';
import { IntegrationSecrets } from './integration-secrets';
import { integrationIn, runOnIntegrations } from './integrations-stream';
import { IntegrationTokens } from './activate-integration';

export type ReauthorizedIntegration = { readonly integration: Integration; readonly tokens: Pick<IntegrationTokens, 'accessToken' | 'accessTokenSecret'> };

export type ReauthorizeIntegrationInput = IntegrationRef & { readonly holder: CredentialHolder; readonly password: string };

/**
 * A new access token and secret, shown this once; the previous ones stop working before this
 * answers. Only a user confirming with their password may ask, never a machine credential, and
 * only for an integration whose resources they hold themselves (the decider's authority rule).
 */
export class ReauthorizeIntegration {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly secrets: IntegrationSecrets,
    private readonly passwords: ConfirmUserPassword,
  ) {}

  async execute({ tenantId, integrationId, context, expectedRevision, holder, password }: ReauthorizeIntegrationInput): Promise<ReauthorizedIntegration> {
    if (holder.actor.kind !== 'user') {
      const message = 'Reauthorizing an integration needs a user confirming with their password; a machine credential never may.';
      throw ApplicationError.rejected({ code: 'AuthorityExceeded', message, missing: [] });
    }
    await this.passwords.execute({ holder, password });
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
