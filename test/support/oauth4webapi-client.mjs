// A real OAuth 2.0 client (oauth4webapi) in its own process: jest cannot load that ESM-only
// library, and a separate process is what a real client is anyway. Input: one JSON argument;
// output: one JSON line with the outcome as the library reports it.
import * as oauth from 'oauth4webapi';

const input = JSON.parse(process.argv[2]);
const options = { [oauth.allowInsecureRequests]: true };

const outcome = async () => {
  const issuer = new URL(input.issuer);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oauth2' }));
  const client = { client_id: input.clientId };
  const auth = input.method === 'post' ? oauth.ClientSecretPost(input.clientSecret) : oauth.ClientSecretBasic(input.clientSecret);
  if (input.action === 'revoke') {
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, input.token, options));
    return { ok: true, metadata: as };
  }
  const parameters = input.scope === undefined ? {} : { scope: input.scope };
  const response = await oauth.clientCredentialsGrantRequest(as, client, auth, parameters, options);
  const tokens = await oauth.processClientCredentialsResponse(as, client, response);
  return { ok: true, tokens, metadata: as };
};

try {
  console.log(JSON.stringify(await outcome()));
} catch (error) {
  if (error instanceof oauth.ResponseBodyError) {
    console.log(JSON.stringify({ ok: false, status: error.status, error: error.error, description: error.error_description }));
  } else if (error instanceof oauth.WWWAuthenticateChallengeError) {
    const [challenge] = error.cause;
    console.log(JSON.stringify({ ok: false, status: error.status, error: challenge?.parameters.error ?? null, scheme: challenge?.scheme }));
  } else {
    console.log(JSON.stringify({ ok: false, status: null, error: 'client_error', description: String(error?.message ?? error) }));
  }
}
