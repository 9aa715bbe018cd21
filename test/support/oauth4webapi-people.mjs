// A real OAuth 2.0 / OpenID Connect client for people's flows (oauth4webapi), one step per
// process: `start` builds the authorization URL with PKCE (S256), state and nonce; `callback`
// validates the redirect (state, iss) and redeems the code; `refresh` rotates the refresh
// token. Input: one JSON argument; output: one JSON line with the outcome as the library sees it.
import * as oauth from 'oauth4webapi';

const input = JSON.parse(process.argv[2]);
const options = { [oauth.allowInsecureRequests]: true };

const discover = async () => {
  const issuer = new URL(input.issuer);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...options, algorithm: input.oidc ? 'oidc' : 'oauth2' }));
};

const clientAuth = () => (input.clientSecret ? oauth.ClientSecretBasic(input.clientSecret) : oauth.None());

const steps = {
  async start() {
    const as = await discover();
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = input.oidc ? oauth.generateRandomNonce() : undefined;
    const url = new URL(as.authorization_endpoint);
    url.searchParams.set('client_id', input.clientId);
    url.searchParams.set('redirect_uri', input.redirectUri);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
    url.searchParams.set('code_challenge_method', 'S256');
    url.searchParams.set('state', state);
    if (input.scope) url.searchParams.set('scope', input.scope);
    if (nonce) url.searchParams.set('nonce', nonce);
    return { ok: true, authorizationUrl: url.toString(), verifier, state, nonce: nonce ?? null, metadata: as };
  },
  async callback() {
    const as = await discover();
    const client = { client_id: input.clientId };
    const params = oauth.validateAuthResponse(as, client, new URL(input.callbackUrl), input.state);
    const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuth(), params, input.redirectUri, input.verifier, options);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, input.oidc ? { expectedNonce: input.nonce, requireIdToken: true } : undefined);
    const claims = input.oidc ? oauth.getValidatedIdTokenClaims(tokens) : null;
    return { ok: true, tokens, claims };
  },
  async refresh() {
    const as = await discover();
    const client = { client_id: input.clientId };
    const response = await oauth.refreshTokenGrantRequest(as, client, clientAuth(), input.refreshToken, options);
    return { ok: true, tokens: await oauth.processRefreshTokenResponse(as, client, response) };
  },
  async userinfo() {
    const as = await discover();
    const client = { client_id: input.clientId };
    const response = await oauth.userInfoRequest(as, client, input.accessToken, options);
    return { ok: true, userinfo: await oauth.processUserInfoResponse(as, client, input.subject, response) };
  },
};

try {
  console.log(JSON.stringify(await steps[input.step]()));
} catch (error) {
  if (error instanceof oauth.ResponseBodyError || error instanceof oauth.AuthorizationResponseError) {
    console.log(JSON.stringify({ ok: false, status: error.status ?? null, error: error.error, description: error.error_description }));
  } else {
    console.log(JSON.stringify({ ok: false, status: null, error: 'client_error', description: String(error?.message ?? error), code: error?.code ?? null }));
  }
}
