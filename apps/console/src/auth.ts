import * as oauth from 'oauth4webapi';
import { apiCall, ApiError, Me, Request } from './api';

/**
 * The one place that signs in. Both methods end in the same Session: a bearer token held in
 * this page's memory only (never in storage, the URL or a log) and what /v1/me says it may do.
 * Signed in with Keyhold, the session also holds a refresh token, in memory only as well: it
 * renews the 15-minute access token, and a reload loses both (the person signs in again).
 */
export type SignInMethod = 'oauth' | 'api-token';
export type Session = {
  method: SignInMethod;
  me: Me;
  can: (permission: string) => boolean;
  call: <T>(path: string, request?: Request) => Promise<T>;
  /** Gives up what the session holds (the refresh token is revoked at Keyhold); the session is unusable after. */
  signOut: () => Promise<void>;
};

/** How a session learns that it ended without the person signing out: the reason, for the sign-in screen. */
export type OnSessionEnded = (reason: ApiError) => void;

/** Where a session's access token comes from: fixed for a pasted API token, renewed for Keyhold's. */
type Credential = {
  /** The access token to send now (renewed first when it is about to expire). */
  current: () => Promise<string>;
  /** After a 401 with `refused`: a newer access token to try once, or null when there is none. */
  renewedAfter: (refused: string) => Promise<string | null>;
  signOut: () => Promise<void>;
};

const sessionFor = async (method: SignInMethod, credential: Credential): Promise<Session> => {
  const call = async <T>(path: string, request?: Request): Promise<T> => {
    const token = await credential.current();
    try {
      return await apiCall<T>(token, path, request);
    } catch (error) {
      if (!(error instanceof ApiError) || error.problem.status !== 401) throw error;
      const renewed = await credential.renewedAfter(token);
      if (renewed === null) throw error;
      return apiCall<T>(renewed, path, request);
    }
  };
  const me = await call<Me>('/v1/me');
  const permissions = new Set(me.permissions);
  return { method, me, can: (permission) => permissions.has(permission), call, signOut: credential.signOut };
};

/** Vault UI's token method: a personal API token pasted by its owner. */
export const signInWithApiToken = (token: string): Promise<Session> => {
  const fixed = token.trim();
  return sessionFor('api-token', { current: async () => fixed, renewedAfter: async () => null, signOut: async () => undefined });
};

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

/** An OAuth failure as the console shows it: the server's own description when it gave one. */
const oauthFailure = (title: string, error: unknown): ApiError => {
  if (error instanceof ApiError) return error;
  const description = error instanceof oauth.ResponseBodyError || error instanceof oauth.AuthorizationResponseError ? (error.error_description ?? error.error) : undefined;
  return new ApiError({ status: 0, title, detail: description });
};

const SESSION_ENDED = 'Your session has ended: please sign in again.';

/**
 * Renew the access token this long before it expires: a minute, or a quarter of its lifetime
 * when that is shorter, so that a request sent just before expiry does not arrive just after.
 */
const renewalMargin = (lifetimeSeconds: number) => Math.min(60_000, (lifetimeSeconds * 1000) / 4);

/**
 * Keyhold's tokens for one session, in this closure only. The access token is renewed with the
 * refresh token (RFC 6749 §6) when a call finds it about to expire, and once after a 401. One
 * renewal at a time: the server rotates the refresh token on every use, so a second concurrent
 * renewal would present a rotated token, which counts as theft and revokes the whole family.
 * When a renewal is refused (revoked, family expired, consent withdrawn), the session ends.
 */
const renewingCredential = (server: oauth.AuthorizationServer, first: oauth.TokenEndpointResponse, onEnded: OnSessionEnded): Credential => {
  let accessToken = first.access_token;
  let refreshToken = first.refresh_token;
  let renewAt = Date.now() + (first.expires_in ?? 0) * 1000 - renewalMargin(first.expires_in ?? 0);
  let renewing: Promise<string> | null = null;
  let ended: ApiError | null = null;

  /** Ends the session once (the first reason is the one shown) and answers the error to throw. */
  const end = (reason: ApiError): ApiError => {
    if (!ended) {
      ended = reason;
      accessToken = '';
      refreshToken = undefined;
      onEnded(reason);
    }
    return ended;
  };

  const renew = (): Promise<string> => {
    const presented = refreshToken;
    if (!presented) return Promise.reject(end(new ApiError({ status: 401, title: SESSION_ENDED })));
    renewing ??= (async () => {
      try {
        const response = await oauth.refreshTokenGrantRequest(server, CONSOLE_CLIENT, oauth.None(), presented, transportOptions());
        const renewed = await oauth.processRefreshTokenResponse(server, CONSOLE_CLIENT, response);
        accessToken = renewed.access_token;
        refreshToken = renewed.refresh_token ?? refreshToken;
        renewAt = Date.now() + (renewed.expires_in ?? 0) * 1000 - renewalMargin(renewed.expires_in ?? 0);
        return accessToken;
      } catch (error) {
        // A network failure leaves the session as it is: the refresh token was not used up.
        if (error instanceof TypeError) throw new ApiError({ status: 0, title: 'The server cannot be reached.' });
        throw end(oauthFailure(SESSION_ENDED, error));
      } finally {
        renewing = null;
      }
    })();
    return renewing;
  };

  return {
    current: async () => {
      if (ended) throw ended;
      return renewing ?? (Date.now() >= renewAt ? renew() : accessToken);
    },
    // Another call may have renewed the token since this one was sent: then that one is retried.
    renewedAfter: async (refused) => (ended ? null : renewing ?? (accessToken !== refused ? accessToken : renew())),
    signOut: async () => {
      ended ??= new ApiError({ status: 401, title: 'You have signed out' });
      // A renewal under way rotates the refresh token: the one to revoke is the one it brings.
      await renewing?.catch(() => undefined);
      const held = refreshToken;
      accessToken = '';
      refreshToken = undefined;
      if (held) await oauth.processRevocationResponse(await oauth.revocationRequest(server, CONSOLE_CLIENT, oauth.None(), held, transportOptions()));
    },
  };
};

/** Exchanges the code for tokens, then takes the code out of the address bar and history. */
export const completeOAuthSignIn = async (onEnded: OnSessionEnded): Promise<Session> => {
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
    return await sessionFor('oauth', renewingCredential(server, result, onEnded));
  } catch (error) {
    throw oauthFailure('Sign-in with Keyhold failed', error);
  }
};
