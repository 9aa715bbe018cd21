import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { ROOT_LOGGER } from '@keyhold/platform';
import {
  ACCESS_TOKEN_REVOCATIONS,
  ACCESS_TOKENS,
  AccessTokenRevocationView,
  AccessTokenView,
  API_CLIENTS,
  ApiClientView,
  INTEGRATIONS,
  IntegrationView,
  READ_MODEL_STORE,
  ReadModelStore,
  SERVICE_ACCOUNTS,
  ServiceAccountView,
  TOKENS,
  TokenView,
  USER_ACCESS_TOKENS,
  UserAccessTokenView,
} from '@keyhold/read-models';
import { Principal } from './principal';

/**
 * A second opinion for a stale node: whether the read model, which the worker keeps from the
 * log independently of this node, still holds the credential active. Anything but a clear yes
 * (no document, another status, the database away) is a no.
 */
@Injectable()
export class ReadModelConfirmation {
  constructor(
    @Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async confirms(principal: Principal): Promise<boolean> {
    try {
      return await this.isActive(principal);
    } catch (error) {
      this.logger.warn({ err: error, credentialId: principal.credential.id }, 'Read model unreachable while stale: credential refused');
      return false;
    }
  }

  private async isActive({ tenantId, actor, credential, issuedAt }: Principal): Promise<boolean> {
    switch (credential.kind) {
      case 'personalApiToken': {
        const token = await this.readModels.collection<TokenView>(TOKENS).get(credential.id);
        return token?.status === 'active' && token.tenantId === tenantId;
      }
      case 'accessToken': {
        // A sealed token has no document of its own, only its revocation; one issued before sealing has one.
        if (await this.readModels.collection<AccessTokenRevocationView>(ACCESS_TOKEN_REVOCATIONS).get(credential.id)) return false;
        const token = await this.readModels.collection<AccessTokenView>(ACCESS_TOKENS).get(credential.id);
        if (token && (token.status !== 'active' || token.tenantId !== tenantId)) return false;
        if (actor.kind === 'service_account') {
          const account = await this.readModels.collection<ServiceAccountView>(SERVICE_ACCOUNTS).get(actor.id);
          if (account?.status !== 'active' || account.tenantId !== tenantId) return false;
          return token ? account.secretGeneration === token.clientGeneration : account.secretResetAt === null || account.secretResetAt < issuedAt;
        }
        const client = await this.readModels.collection<ApiClientView>(API_CLIENTS).get(actor.id);
        return client?.status === 'active';
      }
      case 'integrationAccessToken': {
        const integration = await this.readModels.collection<IntegrationView>(INTEGRATIONS).get(actor.id);
        return integration?.status === 'active' && integration.accessTokenId === credential.id && integration.tenantId === tenantId;
      }
      case 'userAccessToken': {
        const token = await this.readModels.collection<UserAccessTokenView>(USER_ACCESS_TOKENS).get(credential.id);
        return token?.status === 'active' && token.tenantId === tenantId && token.userId === actor.id;
      }
      default:
        return false;
    }
  }
}
