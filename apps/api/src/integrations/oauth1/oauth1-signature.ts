import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * OAuth 1.0a request signing as RFC 5849 §3.4 defines it, with HMAC-SHA256 (the method the
 * integrations' OAuth 1.0a uses). Pure functions: what was presented, in; a verdict, out.
 */

/** The problems of the OAuth Problem Reporting extension, sent in `WWW-Authenticate: OAuth`. */
export type OAuth1Problem =
  | 'parameter_absent'
  | 'parameter_rejected'
  | 'signature_method_rejected'
  | 'version_rejected'
  | 'timestamp_refused'
  | 'nonce_used'
  | 'consumer_key_unknown'
  | 'token_rejected'
  | 'signature_invalid'
  | 'verifier_invalid';

export type Param = readonly [name: string, value: string];

/** The oauth_* protocol parameters of a request, each once, and every parameter that is signed. */
export type SignedRequest = {
  readonly method: string;
  /** scheme://host[:port]/path, as RFC 5849 §3.4.1.2 builds it. */
  readonly baseUri: string;
  readonly oauth: Readonly<Record<string, string>>;
  readonly params: readonly Param[];
};

export const SIGNATURE_METHOD = 'HMAC-SHA256';
/** How far a request's timestamp may be from this server's clock. */
export const TIMESTAMP_WINDOW_SECONDS = 300;

/** RFC 3986 unreserved characters stay; everything else is %XX of its UTF-8 bytes (§3.6). */
export const percentEncode = (value: string): string =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const percentDecode = (value: string): string | null => {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
};

/** `OAuth realm="x", oauth_consumer_key="..."` → its parameters, or null if it is not that. */
export const parseOAuthHeader = (header: string): Param[] | null => {
  const match = /^OAuth\s+(.*)$/is.exec(header.trim());
  if (!match) return null;
  const params: Param[] = [];
  for (const part of match[1].split(',')) {
    if (part.trim() === '') continue;
    const pair = /^\s*([A-Za-z0-9_.~%-]+)\s*=\s*"([^"]*)"\s*$/.exec(part);
    if (!pair) return null;
    const name = percentDecode(pair[1]);
    const value = percentDecode(pair[2]);
    if (name === null || value === null) return null;
    if (name !== 'realm') params.push([name, value]);
  }
  return params;
};

/**
 * Gathers the signed parameters (§3.4.1.3): the Authorization header's, the query's, and a
 * form body's. A protocol parameter given twice is refused rather than guessed at.
 */
export const signedRequest = (
  method: string,
  baseUri: string,
  headerParams: readonly Param[],
  queryParams: readonly Param[],
  bodyParams: readonly Param[],
): SignedRequest | { problem: OAuth1Problem } => {
  const params = [...headerParams, ...queryParams, ...bodyParams];
  const oauth: Record<string, string> = {};
  for (const [name, value] of params) {
    if (!name.startsWith('oauth_')) continue;
    if (Object.prototype.hasOwnProperty.call(oauth, name)) return { problem: 'parameter_rejected' };
    oauth[name] = value;
  }
  return { method: method.toUpperCase(), baseUri, oauth, params };
};

/** §3.4.1: METHOD&encoded base URI&encoded normalized parameters (oauth_signature left out). */
export const signatureBaseString = (request: SignedRequest): string => {
  const normalized = request.params
    .filter(([name]) => name !== 'oauth_signature')
    .map(([name, value]) => [percentEncode(name), percentEncode(value)] as const)
    .sort(([n1, v1], [n2, v2]) => (n1 < n2 ? -1 : n1 > n2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  return [request.method, percentEncode(request.baseUri), percentEncode(normalized)].join('&');
};

export const sign = (baseString: string, consumerSecret: string, tokenSecret: string): string =>
  createHmac('sha256', `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`).update(baseString).digest('base64');

/** Constant-time comparison of the presented signature with the one recomputed. */
export const signatureMatches = (request: SignedRequest, consumerSecret: string, tokenSecret: string): boolean => {
  const expected = Buffer.from(sign(signatureBaseString(request), consumerSecret, tokenSecret));
  const presented = Buffer.from(request.oauth.oauth_signature ?? '');
  return presented.length === expected.length && timingSafeEqual(presented, expected);
};

/**
 * The checks that need no secret: the protocol parameters required are there, the method is
 * HMAC-SHA256, the version (if given) 1.0, and the timestamp within the window.
 */
export const precheck = (request: SignedRequest, required: readonly string[], nowMs: number): OAuth1Problem | null => {
  const { oauth } = request;
  if (['oauth_consumer_key', 'oauth_signature', 'oauth_signature_method', 'oauth_timestamp', 'oauth_nonce', ...required].some((name) => !oauth[name])) {
    return 'parameter_absent';
  }
  if (oauth.oauth_signature_method !== SIGNATURE_METHOD) return 'signature_method_rejected';
  if (oauth.oauth_version !== undefined && oauth.oauth_version !== '1.0') return 'version_rejected';
  if (!/^\d{1,12}$/.test(oauth.oauth_timestamp) || Math.abs(Number(oauth.oauth_timestamp) - nowMs / 1000) > TIMESTAMP_WINDOW_SECONDS) {
    return 'timestamp_refused';
  }
  if (oauth.oauth_nonce.length > 128) return 'parameter_rejected';
  return null;
};
