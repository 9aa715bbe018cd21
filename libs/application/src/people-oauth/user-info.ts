import { ReadModelStore, USERS, UserView } from '@keyhold/read-models';
import { ApplicationError } from '../application-error';

export type UserInfoInput = {
  readonly tenantId: string;
  readonly userId: string;
  /** The kind of credential presented, and the scope it carries (space-separated). */
  readonly credentialKind: string;
  readonly scope: string;
};

/** OpenID Connect Core §5.3: who a person's access token stands for, if it was granted `openid`. */
export class GetUserInfo {
  constructor(private readonly readModels: ReadModelStore) {}

  async execute({ tenantId, userId, credentialKind, scope }: UserInfoInput): Promise<{ sub: string; tenant_id: string; email?: string }> {
    if (credentialKind !== 'userAccessToken' || !scope.split(' ').includes('openid')) {
      throw ApplicationError.forbidden('userinfo needs an access token of a person granted the openid scope.');
    }
    const user = await this.readModels.collection<UserView>(USERS).get(userId);
    return { sub: userId, tenant_id: tenantId, ...(user && user.tenantId === tenantId ? { email: user.email } : {}) };
  }
}
