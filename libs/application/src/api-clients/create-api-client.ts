import { randomUUID } from 'node:crypto';
import { EventStore } from '@keyhold/event-store';
import { SecretHasher } from '@keyhold/crypto';
import { CommandPipeline, RequestContext } from '../command-pipeline';
import { runOnApiClient } from './api-client-stream';
import { ClientSecretSettings, newApiClientSecret, secretLifetimeDays } from './client-secret-lifetime';

export type CreateApiClientInput = {
  readonly tenantId: string;
  readonly name: string;
  /** Omitted: six months, or the maximum in force if lower. */
  readonly secretLifetimeDays?: number;
  readonly context: RequestContext;
};

export type CreatedApiClient = { readonly clientId: string; readonly clientSecret: string; readonly secretId: string; readonly secretExpiresAt: string };

/** Creates an API client with its first secret: both are in the answer, and only there. */
export class CreateApiClient {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly events: EventStore,
    private readonly hasher: SecretHasher,
    private readonly settings: ClientSecretSettings,
  ) {}

  async execute({ tenantId, name, secretLifetimeDays: requested, context }: CreateApiClientInput): Promise<CreatedApiClient> {
    const lifetimeDays = await secretLifetimeDays(this.events, this.settings, tenantId, requested, 'secretLifetimeDays');
    const clientId = randomUUID();
    const nowMs = Date.now();
    const now = new Date(nowMs).toISOString();
    const { clientSecret, secretId, stored, expiresAt } = newApiClientSecret(this.hasher, nowMs, lifetimeDays);
    await runOnApiClient(this.commands, clientId, { type: 'CreateApiClient', tenantId, clientId, name, secretId, secret: stored, secretExpiresAt: expiresAt, now }, context);
    return { clientId, clientSecret, secretId, secretExpiresAt: expiresAt };
  }
}
