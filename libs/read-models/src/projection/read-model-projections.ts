import { ProjectionFactory } from '../generations/read-model-generations';
import { apiClientsProjection, clientSecretsProjection } from '../views/api-clients.view';
import { connectionsProjection } from '../views/connections.view';
import { historyProjection } from '../views/history.view';
import { integrationsProjection, tenantSettingsProjection } from '../views/integrations.view';
import { accessTokensProjection, serviceAccountsProjection } from '../views/service-accounts.view';
import { tokensProjection } from '../views/tokens.view';
import { usersProjection } from '../views/users.view';
import { sessionsProjection } from '../views/sessions.view';
import { userAccessTokensProjection } from '../views/user-access-tokens.view';

/**
 * Every projection that writes read models: the worker runs these, and a rebuild replays them,
 * so both use the very same code. A new view is added here, once.
 */
export const READ_MODEL_PROJECTIONS: readonly ProjectionFactory[] = [
  tokensProjection,
  usersProjection,
  serviceAccountsProjection,
  accessTokensProjection,
  apiClientsProjection,
  clientSecretsProjection,
  connectionsProjection,
  integrationsProjection,
  tenantSettingsProjection,
  historyProjection,
  sessionsProjection,
  userAccessTokensProjection,
];
