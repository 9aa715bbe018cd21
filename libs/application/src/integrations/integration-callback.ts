import { Integration } from '@keyhold/domain';
import { CommandPipeline, RequestContext } from '../command-pipeline';
import { OutboundHttp, outboundFailed, outboundRefused } from '../outbound';
import { runOnIntegrations } from './integrations-stream';

export type CallbackCredentials = { readonly consumerKey: string; readonly consumerSecret: string; readonly verifier: string };

/**
 * Sends an integration its consumer key and secret, Keyhold's base URL and the verifier (the
 * first step of the handshake, as the commerce platform's integrations do it), through the one
 * outbound adapter, and records the outcome as an event: delivered, or failed and why.
 */
export class IntegrationCallback {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly outbound: OutboundHttp,
  ) {}

  async deliver(tenantId: string, integration: Integration, credentials: CallbackCredentials, baseUrl: string, context: RequestContext): Promise<void> {
    const result = await this.outbound.postForm({
      url: integration.callbackUrl!,
      allowHttp: integration.insecure,
      form: {
        oauth_consumer_key: credentials.consumerKey,
        oauth_consumer_secret: credentials.consumerSecret,
        store_base_url: baseUrl,
        oauth_verifier: credentials.verifier,
      },
    });
    const outcome = result.outcome === 'delivered' ? ({ delivered: true, status: result.status } as const) : ({ delivered: false, reason: result.reason } as const);
    await runOnIntegrations(
      this.commands,
      tenantId,
      { type: 'RecordIntegrationCallback', integrationId: integration.integrationId, host: result.host, attempts: result.attempts, outcome, now: new Date().toISOString() },
      context,
    );
    if (result.outcome === 'refused') throw outboundRefused(`The callback URL may not be called: ${result.reason}`);
    if (result.outcome === 'failed') {
      throw outboundFailed(`The callback URL did not take the credentials after ${result.attempts} attempt(s): ${result.reason} Activate again to retry.`);
    }
  }
}
