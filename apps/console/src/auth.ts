import * as oauth from 'oauth4webapi';
import { apiCall, ApiError, Me, Request } from './api';

/**
 * The one place that signs in. Both methods end in the same Session: a bearer token held in
 * this page's memory only (never in storage, the URL or a log) and what /v1/me says it may do.
 */
export type SignInMethod = 'oauth' | 'api-token';
export type Session = {
  method: SignInMethod;
  me: Me;
  can: (permission: string) => boolean;
  call: <T>(path: string, request?: Request) => Promise<T>;
};

const sessionFor = async (method: SignInMethod, token: string): Promise<Session> => {
  const me = await apiCall<Me>(token, '/v1/me');
  const permissions = new Set(me.permissions);
  return { method, me, can: (permission) => permissions.has(permission), call: (path, request) => apiCall(token, path, request) };
};

/** Vault UI's token method: a personal API token pasted by its owner. */
export const signInWithApiToken = (token: string): Promise<Session> => sessionFor('api-token', token.trim());

/** The console as a first-party public client of Keyhold (RFC 6749 authorization code, RFC 7636 PKCE S256). */
const CONSOLE_CLIENT: oauth.Client = { client_id: 'keyhold-console' };
const CALLBACK_PATH = '/console/callback';
/** The verifier and state must survive the round trip to /oauth/authorize; they open nothing without the code, and are removed on return. */
const PENDING_KEY = 'keyhold-console-pkce';

const redirectUri = () => `${location.origin}${CALLBACK_PATH}`;
/** Loopback development servers speak http; anywhere else oauth4webapi insists on https. */
const transportOptions = () => ({ [oauth.allowInsecureRequests]: location.protocol === 'http:' });

const discover = async (): Promise<oauth.AuthorizationServer> => {
  const issuer = new URL(location.origin);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...transportOptions() }));
};

export const startOAuthSignIn = async (): Promise<void> => {
  const server = await discover();
  if (!server.authorization_endpoint) throw new ApiError({ status: 0, title: 'This server does not offer sign-in with Keyhold yet; sign in with an API token.' });
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state }));
  const url = new URL(server.authorization_endpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', CONSOLE_CLIENT.client_id);
  url.searchParams.set('redirect_uri', redirectUri());
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  location.assign(url.href);
};

export const isOAuthCallback = () => location.pathname === CALLBACK_PATH;

/** Exchanges the code for an access token, then takes the code out of the address bar and history. */
export const completeOAuthSignIn = async (): Promise<Session> => {
  const pending = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  const current = new URL(location.href);
  history.replaceState(null, '', '/console/');
  if (!pending) throw new ApiError({ status: 0, title: 'The sign-in was not started from this tab; please sign in again.' });
  const { verifier, state } = JSON.parse(pending) as { verifier: string; state: string };
  try {
    const server = await discover();
    const params = oauth.validateAuthResponse(server, CONSOLE_CLIENT, current, state);
    const response = await oauth.authorizationCodeGrantRequest(server, CONSOLE_CLIENT, oauth.None(), params, redirectUri(), verifier, transportOptions());
    const result = await oauth.processAuthorizationCodeResponse(server, CONSOLE_CLIENT, response);
    return sessionFor('oauth', result.access_token);
  } catch (error) {
    if (error instanceof ApiError) throw error;
    const description = error instanceof oauth.ResponseBodyError || error instanceof oauth.AuthorizationResponseError ? error.error_description ?? error.error : 'The sign-in failed.';
    throw new ApiError({ status: 0, title: 'Sign-in with Keyhold failed', detail: description });
  }
};
