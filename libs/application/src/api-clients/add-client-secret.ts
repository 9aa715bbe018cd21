import { EventStore } from '@keyhold/event-store';
import { SecretHasher } from '@keyhold/crypto';
import { CommandPipeline, RequestContext } from '../command-pipeline';
import { runOnApiClient } from './api-client-stream';
import { ClientSecretSettings, newApiClientSecret, secretLifetimeDays } from './client-secret-lifetime';

export type AddClientSecretInput = {
  readonly tenantId: string;
  readonly clientId: string;
  /** Omitted: six months, or the maximum in force if lower. */
  readonly lifetimeDays?: number;
  readonly context: RequestContext;
  /** The client's revision the caller saw (If-Match). */
  readonly expectedRevision?: number;
};

export type AddedClientSecret = { readonly secretId: string; readonly clientSecret: string; readonly expiresAt: string };

/** Adds a secret beside the others (at most five live), so that a client can rotate without downtime; shown once. */
export class AddClientSecret {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly events: EventStore,
    private readonly hasher: SecretHasher,
    private readonly settings: ClientSecretSettings,
  ) {}

  async execute({ tenantId, clientId, lifetimeDays: requested, context, expectedRevision }: AddClientSecretInput): Promise<AddedClientSecret> {
    const lifetimeDays = await secretLifetimeDays(this.events, this.settings, tenantId, requested, 'lifetimeDays');
    const nowMs = Date.now();
    const now = new Date(nowMs).toISOString();
    const { clientSecret, secretId, stored, expiresAt } = newApiClientSecret(this.hasher, nowMs, lifetimeDays);
    await runOnApiClient(this.commands, clientId, { type: 'AddClientSecret', tenantId, secretId, secret: stored, expiresAt, now }, context, expectedRevision);
    return { secretId, clientSecret, expiresAt };
  }
}
