import createClient, { Client } from 'openapi-fetch';
import type { components, paths } from './openapi';

export type KeyholdApi = Client<paths>;
export type Problem = components['schemas']['Problem'];
export type Introspection = components['schemas']['IntrospectionResponse'];
export type IssuedToken = components['schemas']['IssuedTokenResponse'];
export type AddedClientSecret = components['schemas']['AddedClientSecretResponse'];

/** A refusal from Keyhold, with its RFC 9457 problem document when it sent one. */
export class KeyholdError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | null,
  ) {
    super(problem ? `${problem.title} ${problem.detail}` : `Keyhold answered ${status}.`);
    this.name = 'KeyholdError';
  }
}

/** The typed REST client, generated from the document Keyhold serves (libs/client/src/openapi.ts). */
export const keyholdApi = (baseUrl: string, token: string): KeyholdApi =>
  createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${token}` } });

/** The body of a successful answer, or a KeyholdError carrying the problem. */
export const bodyOf = async <T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> => {
  const { data, error, response } = await call;
  if (!response.ok || data === undefined) throw new KeyholdError(response.status, (error as Problem | undefined) ?? null);
  return data;
};

/**
 * What an internal service does with the REST API besides verifying: issue a personal token
 * for its own use, and rotate an API client's secret without downtime (the new one first,
 * then the old one removed).
 */
export class KeyholdCredentials {
  constructor(private readonly api: KeyholdApi) {}

  /** Without an Idempotency-Key every call issues a new token, so the answer always carries its secret. */
  async issueToken(label: string, scope: 'read' | 'read_write', expiresAt?: string): Promise<IssuedToken> {
    const issued = await bodyOf(this.api.POST('/v1/tokens', { body: { label, scope, ...(expiresAt ? { expiresAt } : {}) } }));
    if (!('token' in issued)) throw new KeyholdError(200, null);
    return issued;
  }

  revokeToken(tokenId: string, reason: string) {
    return bodyOf(this.api.POST('/v1/tokens/{id}/revoke', { params: { path: { id: tokenId } }, body: { reason } }));
  }

  /** Adds a secret to the client, then removes the one it replaces; the new one is returned, shown this once. */
  async rotateClientSecret(clientId: string, replacedSecretId: string, lifetimeDays?: number): Promise<AddedClientSecret> {
    const added = await bodyOf(this.api.POST('/v1/api-clients/{id}/secrets', { params: { path: { id: clientId } }, body: lifetimeDays ? { lifetimeDays } : {} }));
    const { response, error } = await this.api.DELETE('/v1/api-clients/{id}/secrets/{secretId}', { params: { path: { id: clientId, secretId: replacedSecretId } } });
    if (!response.ok) throw new KeyholdError(response.status, (error as Problem | undefined) ?? null);
    return added;
  }
}
