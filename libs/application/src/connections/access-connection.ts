import { AccessPurpose } from '@keyhold/domain';
import { DataKeyService } from '@keyhold/key-store';
import { ApplicationError } from '../application-error';
import { CommandPipeline, RequestContext } from '../command-pipeline';
import { ConnectionAccessTokens } from './connection-access-tokens';
import { ActiveConnection, headersFor } from './connection-details';
import { PlainSecrets, unseal } from './connection-secrets';
import { active, connectionKey, runOnConnection } from './connection-stream';

export type AccessConnectionInput = {
  readonly tenantId: string;
  readonly connectionId: string;
  /** Where the caller will send the credential: it must be among the connection's allowed domains. */
  readonly targetDomain: string;
  /** The credential the caller presented, on record with the access. */
  readonly credentialId: string;
  /** `reveal`: the raw secrets, asked for explicitly (connections:reveal) and recorded as such. */
  readonly purpose: AccessPurpose;
  readonly context: RequestContext;
};

/** What a caller is handed for one domain: the credential (its secrets, or for an OAuth 2.0 connection's use its settings and a token) and headers. */
export type HandedOutCredential = {
  readonly connectionId: string;
  readonly service: string;
  readonly domain: string;
  readonly credential: Record<string, unknown>;
  readonly headers: Record<string, string>;
  readonly accessedAt: string;
  readonly accessToken?: string;
  readonly tokenType?: string;
  readonly expiresAt?: string;
};

/**
 * The decrypted credential, for a caller about to send it to `targetDomain`: refused unless the
 * domain is allowed, and recorded (who, when, which connection, which domain) before any secret
 * is decrypted. Used (not revealed), an OAuth 2.0 connection hands out a short-lived access
 * token, never its client secret.
 */
export class AccessConnection {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly dataKeys: DataKeyService,
    private readonly accessTokens: ConnectionAccessTokens,
  ) {}

  async execute(input: AccessConnectionInput): Promise<HandedOutCredential> {
    const { connection, secrets, accessedAt } = await this.open(input);
    const handedOut = (credential: Record<string, unknown>, headers: Record<string, string>) => ({
      connectionId: connection.connectionId,
      service: connection.service,
      domain: input.targetDomain,
      credential,
      headers,
      accessedAt,
    });
    if (connection.credential.type !== 'oauth2' || input.purpose === 'reveal') {
      return handedOut({ ...connection.credential, ...secrets }, headersFor(connection, secrets));
    }
    const token = await this.accessTokens.obtain(connection, secrets.clientSecret!, input.context);
    const tokenType = token.tokenType.toLowerCase() === 'bearer' ? 'Bearer' : token.tokenType;
    return { ...handedOut({ ...connection.credential }, { Authorization: `${tokenType} ${token.accessToken}` }), accessToken: token.accessToken, tokenType, expiresAt: token.expiresAt };
  }

  private async open({ tenantId, connectionId, targetDomain, credentialId, purpose, context }: AccessConnectionInput): Promise<{ connection: ActiveConnection; secrets: PlainSecrets; accessedAt: string }> {
    const now = new Date().toISOString();
    const key = await connectionKey(this.dataKeys, connectionId);
    try {
      // The decider decides (tenant, deleted, allowed domain) and the access is on record before
      // any secret is decrypted.
      const command = { type: 'UseConnectionCredential' as const, tenantId, connectionId, targetDomain, accessedBy: context.actorId, actorKind: context.caller.kind, credentialId, purpose, now };
      const connection = active((await runOnConnection(this.commands, command, context)).state);
      if (!key) throw ApplicationError.rejected({ code: 'ConnectionDeleted', message: 'The connection was deleted; its credential is gone.' });
      return { connection, secrets: unseal(key, connection.credential.type, connection.secrets), accessedAt: now };
    } finally {
      key?.key.fill(0);
    }
  }
}
