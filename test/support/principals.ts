import { Permission } from '@keyhold/domain';
import { KeyholdHarness } from './keyhold-harness';

/**
 * Principals for authority tests, made through the public API only: every credential here is
 * one a caller of Keyhold could hold.
 */
export type MachinePrincipal = { id: string; clientSecret: string; token: string };

/** A client_credentials access token, or null when the token endpoint refuses. */
export const clientCredentialsToken = async (keyhold: KeyholdHarness, clientId: string, clientSecret: string): Promise<string | null> => {
  const answer = await keyhold.request('POST', '/oauth/token', { form: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret } });
  return answer.status === 200 ? (answer.body.access_token as string) : null;
};

/** A service account granted exactly `permissions` by `granterToken`, with an access token. */
export const serviceAccountWith = async (keyhold: KeyholdHarness, granterToken: string, permissions: readonly Permission[], name = 'principal'): Promise<MachinePrincipal> => {
  const created = await keyhold.post('/v1/service-accounts', granterToken, { name });
  if (created.status !== 201) throw new Error(`service account not created: ${created.status} ${created.text}`);
  for (const permission of permissions) {
    const granted = await keyhold.request('PUT', `/v1/service-accounts/${created.body.id}/permissions/${permission}`, { token: granterToken });
    if (granted.status !== 200) throw new Error(`'${permission}' not granted: ${granted.status} ${granted.text}`);
  }
  const token = await clientCredentialsToken(keyhold, created.body.id, created.body.clientSecret);
  if (!token) throw new Error('no access token for the service account');
  return { id: created.body.id, clientSecret: created.body.clientSecret, token };
};

/** A user of the tenant with `role`, and a personal token of theirs, issued once they accepted their invitation. */
export const userWith = async (keyhold: KeyholdHarness, adminToken: string, email: string, role: 'admin' | 'member' | 'auditor') => {
  const { added, token } = await keyhold.addUser(adminToken, email, role);
  if (added.status !== 201) throw new Error(`user not added: ${added.status} ${added.text}`);
  return { id: added.body.id as string, token };
};
