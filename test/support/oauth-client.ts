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
