import { ApiClientCommand, ApiClientState } from '@keyhold/domain';
import { CommandPipeline, RequestContext } from '../command-pipeline';
import { AsAsked } from '../guarded-command';
import { RevocationEnforcement } from '../personal-tokens/revoke-token';
import { runOnApiClient } from './api-client-stream';

/**
 * A change that carries no secret, as a caller asks it (name, redirect URIs, flows, removing a
 * secret, deleting the client): the use case adds the tenant and the time.
 */
export type ApiClientChange = AsAsked<Exclude<ApiClientCommand, { type: 'CreateApiClient' | 'AddClientSecret' | 'ExpireClientSecret' }>>;

export type ChangeApiClientInput = {
  readonly tenantId: string;
  readonly clientId: string;
  readonly change: ApiClientChange;
  readonly context: RequestContext;
  /** The client's revision the caller saw (If-Match). */
  readonly expectedRevision?: number;
};

/** Changes that end credentials: answered only once this node enforces them. */
const REVOKING: ReadonlySet<ApiClientChange['type']> = new Set(['RemoveClientSecret', 'DeleteApiClient']);

/** Changes an API client; answers with the client as the change left it. */
export class ChangeApiClient {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly enforcement: RevocationEnforcement,
  ) {}

  async execute({ tenantId, clientId, change, context, expectedRevision }: ChangeApiClientInput): Promise<ApiClientState> {
    const result = await runOnApiClient(this.commands, clientId, { ...change, tenantId, now: new Date().toISOString() }, context, expectedRevision);
    if (REVOKING.has(change.type)) await this.enforcement.confirmRevocation(result.position);
    return result.state;
  }
}
