import { Inject, Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { KEYHOLD_CONFIG, KeyholdConfig } from '@keyhold/platform';
import { publicBaseUrl } from '../../http/public-url';
import { NonceCache } from './nonce-cache';
import { OAuth1Problem, Param, parseOAuthHeader, precheck, SignedRequest, signatureMatches, signedRequest } from './oauth1-signature';

/** A signed request refused, with the OAuth problem to report and a sentence for humans. */
export class OAuth1Refusal extends Error {
  constructor(
    readonly problem: OAuth1Problem,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'OAuth1Refusal';
  }
}

/** `WWW-Authenticate` for a refused signed request (OAuth Problem Reporting extension). */
export const oauth1Challenge = (problem: OAuth1Problem) => `OAuth realm="keyhold", oauth_problem="${problem}"`;

const DETAILS: Record<OAuth1Problem, string> = {
  parameter_absent: 'A required OAuth parameter is missing.',
  parameter_rejected: 'An OAuth parameter is repeated or malformed.',
  signature_method_rejected: 'Only the HMAC-SHA256 signature method is accepted.',
  version_rejected: 'Only OAuth version 1.0 is accepted.',
  timestamp_refused: 'The timestamp is too far from the server clock (more than 300 seconds).',
  nonce_used: 'This nonce was already used with this timestamp: the request is a replay.',
  consumer_key_unknown: 'The consumer key is unknown or does not belong to this token.',
  token_rejected: 'The token is unknown, expired, revoked or not for this consumer.',
  signature_invalid: 'The signature does not match the request.',
  verifier_invalid: 'The oauth_verifier is not the one sent to the callback URL.',
};
export const refuse = (problem: OAuth1Problem): never => {
  throw new OAuth1Refusal(problem, DETAILS[problem]);
};

const paramsOf = (source: unknown): Param[] => {
  if (!source || typeof source !== 'object') return [];
  return Object.entries(source as Record<string, unknown>).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value]).filter((item): item is string => typeof item === 'string').map((item) => [name, item] as const),
  );
};

/**
 * Reads an OAuth 1.0a-signed request the way RFC 5849 signs it (Authorization header, query,
 * form body, and the URL this service is reached at), and checks its signature and nonce.
 */
@Injectable()
export class OAuth1Signatures {
  constructor(
    @Inject(KEYHOLD_CONFIG) private readonly config: KeyholdConfig,
    private readonly nonces: NonceCache,
  ) {}

  static isSigned(request: FastifyRequest): boolean {
    return /^OAuth\s/i.test(request.headers.authorization ?? '');
  }

  /** The signed request, its secret-free checks passed (`required` names the extra oauth_* it must carry). */
  read(request: FastifyRequest, required: readonly string[], nowMs: number): SignedRequest {
    const header = parseOAuthHeader(request.headers.authorization ?? '');
    if (!header) return refuse('parameter_absent');
    const [path, query = ''] = request.url.split(/\?(.*)/s);
    const isForm = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase() === 'application/x-www-form-urlencoded';
    const signed = signedRequest(request.method, `${publicBaseUrl(this.config)}${path}`, header, [...new URLSearchParams(query)], isForm ? paramsOf(request.body) : []);
    if ('problem' in signed) return refuse(signed.problem);
    const problem = precheck(signed, required, nowMs);
    if (problem) refuse(problem);
    return signed;
  }

  /** The signature first, then the nonce: only a correctly signed request uses one up. */
  verify(signed: SignedRequest, consumerId: string, consumerSecret: string, tokenSecret: string, nowMs: number): void {
    if (!signatureMatches(signed, consumerSecret, tokenSecret)) refuse('signature_invalid');
    if (!this.nonces.use(consumerId, signed.oauth.oauth_timestamp, signed.oauth.oauth_nonce, nowMs)) refuse('nonce_used');
  }
}
