import { Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { OAuthError } from '../http/problem';
import { AuthenticatedClient, OAuthIndex } from '../verification/oauth-index';
import { UsageRecorder } from '../verification/usage-recorder';
import { ClientAuthThrottle } from './client-auth-throttle';

type ClientCredentials = { clientId: string; secret: string; method: 'client_secret_basic' | 'client_secret_post' };

/** RFC 6749 §2.3.1: both parts are form-urlencoded before they are joined and base64-encoded. */
const fromBasic = (header: string): ClientCredentials | null => {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  try {
    const clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
    const secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    return { clientId, secret, method: 'client_secret_basic' };
  } catch {
    return null;
  }
};

/**
 * RFC 6749 §5.2 requires the challenge when the client tried the Authorization header, and RFC
 * 9110 §11.6.1 on every 401: a client that sent its secret in the body, or nothing, is told too
 * which scheme the endpoint takes.
 */
const invalidClient = (description = 'Client authentication failed.') =>
  new OAuthError('invalid_client', description, 401, 'Basic realm="keyhold", charset="UTF-8"');

/**
 * Authenticates the OAuth client of a token or revocation request, by client_secret_basic or
 * client_secret_post (exactly one of them), through the throttle.
 */
@Injectable()
export class ClientAuthentication {
  constructor(
    private readonly oauth: OAuthIndex,
    private readonly throttle: ClientAuthThrottle,
    private readonly usage: UsageRecorder,
  ) {}

  authenticate(request: FastifyRequest, body: { client_id?: string; client_secret?: string }): AuthenticatedClient {
    const header = request.headers.authorization;
    const viaBasic = header !== undefined;
    const basic = viaBasic ? fromBasic(header) : null;
    if (viaBasic && !basic) throw invalidClient('The Authorization header is not valid HTTP Basic client authentication.');
    if (basic && body.client_secret !== undefined) {
      throw new OAuthError('invalid_request', 'Use exactly one client authentication method.');
    }
    if (basic && body.client_id !== undefined && body.client_id !== basic.clientId) {
      throw new OAuthError('invalid_request', 'client_id in the body differs from the authenticated client.');
    }
    const credentials: ClientCredentials | null =
      basic ?? (body.client_id !== undefined && body.client_secret !== undefined ? { clientId: body.client_id, secret: body.client_secret, method: 'client_secret_post' } : null);
    if (!credentials) throw invalidClient('Client authentication is required (client_secret_basic or client_secret_post).');

    // The socket's address, or the client's as forwarded by a proxy listed in TRUSTED_PROXIES.
    const source = request.ip;
    const wait = this.throttle.retryAfterSeconds(credentials.clientId, source);
    if (wait > 0) {
      throw new OAuthError('invalid_client', `Too many failed client authentications; retry in ${wait} s.`, 429, null, { 'Retry-After': String(wait) });
    }
    const now = new Date().toISOString();
    const result = this.oauth.authenticateClient(credentials.clientId, credentials.secret, now);
    if (typeof result === 'string') {
      this.throttle.recordFailure(credentials.clientId, source);
      throw invalidClient();
    }
    this.throttle.recordSuccess(credentials.clientId, source);
    // An API client's secrets are listed with their last use, so that unused ones can be removed.
    if (result.secretId !== null) this.usage.record(result.secretId, now);
    return result;
  }
}
