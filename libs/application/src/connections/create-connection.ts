import { randomUUID } from 'node:crypto';
import { CredentialSettings } from '@keyhold/domain';
import { DataKeyService } from '@keyhold/key-store';
import { ApplicationError, rejectionOf } from '../application-error';
import { CommandPipeline, RequestContext } from '../command-pipeline';
import { OutboundPolicy } from '../outbound';
import { ActiveConnection } from './connection-details';
import { PlainSecrets, seal } from './connection-secrets';
import { active, runOnConnection, withKey } from './connection-stream';

export type CreateConnectionInput = {
  readonly tenantId: string;
  readonly name: string;
  readonly service: string;
  readonly allowedDomains: string[];
  readonly credential: CredentialSettings;
  readonly secrets: PlainSecrets;
  readonly context: RequestContext;
};

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];

/** Stores a third-party credential, its secrets sealed under a data key of its own. */
export class CreateConnection {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly dataKeys: DataKeyService,
    private readonly policy: OutboundPolicy,
  ) {}

  async execute(input: CreateConnectionInput): Promise<ActiveConnection> {
    if (input.credential.type === 'oauth2') this.requireHttpsTokenUrl(input.credential.tokenUrl);
    const connectionId = randomUUID();
    const now = new Date().toISOString();
    // The key is stored (wrapped) before any ciphertext exists that needs it.
    const key = await this.dataKeys.create(connectionId, now);
    const dataKeyId = key.keyId;
    const secrets = await withKey(key, (dataKey) => seal(dataKey, input.secrets));
    const { tenantId, name, service, allowedDomains, credential, context } = input;
    try {
      const command = { type: 'CreateConnection' as const, tenantId, connectionId, name, service, allowedDomains, credential, secrets, dataKeyId, createdBy: context.actorId, now };
      return active((await runOnConnection(this.commands, command, context)).state);
    } catch (error) {
      // Refused: nothing was stored that the key could open, so it goes at once.
      if (rejectionOf(error)) await this.dataKeys.destroy(connectionId, now);
      throw error;
    }
  }

  /** http token URLs only to loopback, and only where the operator allows it (tests, walkthroughs). */
  private requireHttpsTokenUrl(tokenUrl: string): void {
    const url = new URL(tokenUrl);
    if (url.protocol === 'https:' || (this.policy.OUTBOUND_ALLOW_LOOPBACK && LOOPBACK.includes(url.hostname))) return;
    throw ApplicationError.invalid('tokenUrl must be an https URL', 'credential.tokenUrl');
  }
}
