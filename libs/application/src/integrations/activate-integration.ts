import { randomUUID } from 'node:crypto';
import { Integration } from '@keyhold/domain';
import { CommandPipeline } from '../command-pipeline';
import { IntegrationRef } from './delete-integration';
import { IntegrationCallback } from './integration-callback';
import { IntegrationSecrets } from './integration-secrets';
import { integrationIn, runOnIntegrations } from './integrations-stream';

/** The four secrets, shown this once. */
export type IntegrationTokens = { consumerKey: string; consumerSecret: string; accessToken: string; accessTokenSecret: string };

/**
 * Without a callback URL, the four secrets; with one, the handshake started: the consumer
 * credentials went to the callback URL, and the admin is to follow the identity link (if any).
 */
export type ActivationResult =
  | { kind: 'tokens'; integration: Integration; tokens: IntegrationTokens }
  | { kind: 'handshake'; integration: Integration; identityLink: string | null };

export type ActivateIntegrationInput = IntegrationRef & {
  /** Keyhold's own base URL, sent to the callback URL and used for the admin's way back. */
  readonly baseUrl: string;
};

/** Where the admin goes to log in at the integration, told where to come back to. */
const identityLink = (integration: Integration, tenantId: string, returnState: string, baseUrl: string): string | null => {
  if (!integration.identityLinkUrl) return null;
  const back = new URL(`${baseUrl}/integrations/return`);
  back.searchParams.set('tenant', tenantId);
  back.searchParams.set('integration', integration.integrationId);
  back.searchParams.set('state', returnState);
  const link = new URL(integration.identityLinkUrl);
  link.searchParams.set('integration_id', integration.integrationId);
  link.searchParams.set('success_call_back', back.toString());
  return link.toString();
};

/** Activates an integration: its secrets issued (hashes and hints kept, signing secrets sealed), shown or sent once. */
export class ActivateIntegration {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly secrets: IntegrationSecrets,
    private readonly callback: IntegrationCallback,
  ) {}

  async execute({ tenantId, integrationId, context, baseUrl, expectedRevision }: ActivateIntegrationInput): Promise<ActivationResult> {
    const now = new Date().toISOString();
    const consumerKey = this.secrets.issue('integrationConsumerKey');
    const consumerSecret = this.secrets.issue('integrationConsumerSecret');
    const accessToken = this.secrets.issue('integrationAccessToken');
    const accessTokenSecret = this.secrets.issue('integrationAccessTokenSecret');
    const verifier = this.secrets.issue('integrationVerifier');
    const returnState = this.secrets.issue('integrationReturnState');
    const sealed = await this.secrets.seal(integrationId, now, (seal, dataKeyId) => ({
      dataKeyId,
      consumerSecret: seal('consumerSecret', consumerSecret.secret),
      accessTokenSecret: seal('accessTokenSecret', accessTokenSecret.secret),
    }));
    const command = {
      type: 'ActivateIntegration' as const,
      integrationId,
      consumerKey: consumerKey.stored,
      consumerSecret: consumerSecret.stored,
      accessToken: { ...accessToken.stored, id: randomUUID() },
      accessTokenSecret: accessTokenSecret.stored,
      sealed,
      verifier: verifier.stored,
      returnState: returnState.stored,
      activatedBy: context.actorId,
      now,
    };
    const { state } = await runOnIntegrations(this.commands, tenantId, command, context, { expectedRevision });
    const integration = integrationIn(state, integrationId);
    if (integration.status === 'activating') {
      await this.callback.deliver(tenantId, integration, { consumerKey: consumerKey.secret, consumerSecret: consumerSecret.secret, verifier: verifier.secret }, baseUrl, context);
      return { kind: 'handshake', integration, identityLink: identityLink(integration, tenantId, returnState.secret, baseUrl) };
    }
    const tokens = { consumerKey: consumerKey.secret, consumerSecret: consumerSecret.secret, accessToken: accessToken.secret, accessTokenSecret: accessTokenSecret.secret };
    return { kind: 'tokens', integration, tokens };
  }
}
