import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

export type OAuthOutcome =
  | { ok: true; tokens?: { access_token: string; token_type: string; expires_in: number; scope?: string }; metadata: Record<string, unknown> }
  | { ok: false; status: number | null; error: string | null; description?: string; scheme?: string };

export type OAuthRequest = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  method: 'basic' | 'post';
  action: 'token' | 'revoke';
  scope?: string;
  token?: string;
};

const SCRIPT = join(__dirname, 'oauth4webapi-client.mjs');

/** Runs one request through oauth4webapi in a child process, as an external client would. */
export const oauthClient = async (request: OAuthRequest): Promise<OAuthOutcome> => {
  const { stdout } = await promisify(execFile)(process.execPath, [SCRIPT, JSON.stringify(request)], { timeout: 20_000 });
  return JSON.parse(stdout.trim()) as OAuthOutcome;
};

export type PeopleClientStep =
  | { step: 'start'; issuer: string; clientId: string; redirectUri: string; scope?: string; oidc?: boolean }
  | { step: 'callback'; issuer: string; clientId: string; clientSecret?: string; redirectUri: string; callbackUrl: string; state: string; verifier: string; nonce?: string | null; oidc?: boolean }
  | { step: 'refresh'; issuer: string; clientId: string; clientSecret?: string; refreshToken: string; oidc?: boolean }
  | { step: 'userinfo'; issuer: string; clientId: string; accessToken: string; subject: string; oidc?: boolean };

const PEOPLE_SCRIPT = join(__dirname, 'oauth4webapi-people.mjs');

/** One step of a person's flow through oauth4webapi, in a child process like a real client app. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const peopleClient = async (request: PeopleClientStep): Promise<any> => {
  const { stdout } = await promisify(execFile)(process.execPath, [PEOPLE_SCRIPT, JSON.stringify(request)], { timeout: 20_000 });
  return JSON.parse(stdout.trim());
};
