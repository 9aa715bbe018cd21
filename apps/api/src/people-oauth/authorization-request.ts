import { PeopleClient } from '@keyhold/application';
import { PEOPLE_SCOPES } from '../verification/user-grant-index';

/** A validated authorization request (RFC 6749 §4.1.1 with RFC 7636 and OIDC's nonce). */
export type AuthorizationRequest = {
  readonly client: PeopleClient;
  readonly redirectUri: string;
  readonly state: string | null;
  readonly scope: string[];
  readonly codeChallenge: string | null;
  readonly nonce: string | null;
};

/**
 * What to do with a bad request: RFC 6749 §4.1.2.1 forbids redirecting when the client or the
 * redirect URI cannot be trusted (an error page then), and wants every other error sent back to
 * the client's redirect URI.
 */
export type AuthorizationRequestCheck =
  | { readonly outcome: 'valid'; readonly request: AuthorizationRequest }
  | { readonly outcome: 'error-page'; readonly message: string }
  | { readonly outcome: 'redirect-error'; readonly redirectUri: string; readonly state: string | null; readonly error: string; readonly description: string };

type Params = Record<string, unknown>;

/** One value of a parameter; `duplicate` when sent more than once (RFC 6749 §3.1: refused). */
const single = (params: Params, name: string): string | null | 'duplicate' => {
  const value = params[name];
  if (Array.isArray(value)) return 'duplicate';
  return typeof value === 'string' && value !== '' ? value : null;
};

/**
 * The scope a person's token is granted: the permissions asked for, or all of them when none is
 * named (the user's full current rights: rights are always capped by the role), plus `openid`
 * when asked. Anything else is unknown.
 */
export const peopleScope = (text: string | null): { scope: string[] } | { unknown: string[] } => {
  const asked = text === null ? [] : [...new Set(text.split(' '))];
  const unknown = asked.filter((item) => !PEOPLE_SCOPES.includes(item));
  if (unknown.length > 0) return { unknown };
  const permissions = asked.filter((item) => item !== 'openid');
  return { scope: [...(permissions.length > 0 ? permissions : PEOPLE_SCOPES.filter((item) => item !== 'openid')), ...(asked.includes('openid') ? ['openid'] : [])].sort() };
};

const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const PRINTABLE = /^[\x20-\x7E]{1,500}$/;

export const checkAuthorizationRequest = (params: Params, client: PeopleClient | null): AuthorizationRequestCheck => {
  const clientId = single(params, 'client_id');
  if (clientId === null || clientId === 'duplicate' || !client) return { outcome: 'error-page', message: 'The application (client_id) is missing or not known to Keyhold.' };
  const asked = single(params, 'redirect_uri');
  if (asked === 'duplicate') return { outcome: 'error-page', message: 'redirect_uri was sent more than once.' };
  const redirectUri = asked ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : null);
  if (redirectUri === null || !client.redirectUris.includes(redirectUri)) {
    return { outcome: 'error-page', message: 'The redirect URI is missing or is not one this application registered (it must match exactly).' };
  }
  const state = single(params, 'state');
  const fail = (error: string, description: string): AuthorizationRequestCheck => ({
    outcome: 'redirect-error',
    redirectUri,
    state: state === 'duplicate' ? null : state,
    error,
    description,
  });
  if (state === 'duplicate' || (state !== null && !PRINTABLE.test(state))) return fail('invalid_request', 'state must be sent once, as printable text.');
  for (const name of ['response_type', 'scope', 'code_challenge', 'code_challenge_method', 'nonce']) {
    if (single(params, name) === 'duplicate') return fail('invalid_request', `${name} was sent more than once.`);
  }
  const responseType = single(params, 'response_type');
  if (responseType === null) return fail('invalid_request', 'response_type is required.');
  if (responseType !== 'code') return fail('unsupported_response_type', 'Only response_type=code is supported.');
  const scope = peopleScope(single(params, 'scope') as string | null);
  if ('unknown' in scope) return fail('invalid_scope', `Unknown scope: ${scope.unknown.join(' ').slice(0, 200)}.`);
  const challenge = single(params, 'code_challenge') as string | null;
  const method = single(params, 'code_challenge_method') as string | null;
  if (challenge === null && method !== null) return fail('invalid_request', 'code_challenge_method without code_challenge.');
  if (challenge !== null && method !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256 (plain is not accepted).');
  if (challenge !== null && !CHALLENGE.test(challenge)) return fail('invalid_request', 'code_challenge must be a base64url SHA-256 (43 characters).');
  if (challenge === null && (client.isPublic || client.requirePkce)) return fail('invalid_request', 'This application must use PKCE (code_challenge with S256).');
  const nonce = single(params, 'nonce') as string | null;
  if (nonce !== null && !PRINTABLE.test(nonce)) return fail('invalid_request', 'nonce must be printable text of at most 500 characters.');
  return { outcome: 'valid', request: { client, redirectUri, state, scope: scope.scope, codeChallenge: challenge, nonce } };
};

/** The redirect URI with the response parameters added (RFC 6749 §4.1.2, RFC 9207 `iss`), keeping its own query. */
export const redirectWith = (redirectUri: string, params: Record<string, string | null>): string => {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== null) url.searchParams.append(name, value);
  return url.toString();
};
