import { ReadModelStore } from '@keyhold/read-models';
import { ApplicationError } from '../application-error';
import { RequestContext } from '../command-pipeline';
import { OAuthClientDetails, oauthClientOfView } from './connection-details';
import { oauthClientViewOf } from './connection-queries';
import { UpdateConnection } from './update-connection';

export type UpdateOAuthClientInput = {
  readonly tenantId: string;
  readonly connectionId: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly context: RequestContext;
  /** The connection's revision the caller saw (If-Match). */
  readonly expectedRevision?: number;
};

/** As the seed says: after creation, only an OAuth client's client ID and client secret change. */
export class UpdateOAuthClient {
  constructor(
    private readonly readModels: ReadModelStore,
    private readonly connections: UpdateConnection,
  ) {}

  async execute({ tenantId, connectionId, clientId, clientSecret, context, expectedRevision }: UpdateOAuthClientInput): Promise<OAuthClientDetails> {
    if (clientId === undefined && clientSecret === undefined) {
      throw ApplicationError.invalid('Send clientId, clientSecret or both: nothing else of an OAuth client changes after creation.', 'clientId');
    }
    await oauthClientViewOf(this.readModels, tenantId, connectionId);
    await this.connections.execute({
      tenantId,
      connectionId,
      changes: { credential: clientId !== undefined ? { clientId } : undefined },
      secrets: clientSecret !== undefined ? { clientSecret } : {},
      context,
      expectedRevision,
    });
    return oauthClientOfView(await oauthClientViewOf(this.readModels, tenantId, connectionId));
  }
}
