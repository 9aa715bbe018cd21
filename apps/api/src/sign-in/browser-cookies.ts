import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { SecretHasher } from '@keyhold/crypto';
import { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'kh_session';
export const CSRF_COOKIE = 'kh_csrf';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The request's cookies; a malformed pair is skipped, never an error. */
export const readCookies = (request: FastifyRequest): ReadonlyMap<string, string> => {
  const cookies = new Map<string, string>();
  for (const pair of (request.headers.cookie ?? '').split(';')) {
    const equals = pair.indexOf('=');
    if (equals < 1) continue;
    const name = pair.slice(0, equals).trim();
    const value = pair.slice(equals + 1).trim();
    if (/^[A-Za-z0-9._~+/=-]{1,512}$/.test(value) && !cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
};

/** `Secure` everywhere except plain http on a loopback issuer (development and tests), where a browser would drop it. */
export const secureCookies = (issuer: string): boolean => {
  const url = new URL(issuer);
  return url.protocol === 'https:' || !LOOPBACK.has(url.hostname);
};

type CookieOptions = { secure: boolean; sameSite: 'Lax' | 'Strict'; maxAgeSeconds?: number };

/** Appends a Set-Cookie header: always HttpOnly, for the whole site. */
export const setCookie = (reply: FastifyReply, name: string, value: string, { secure, sameSite, maxAgeSeconds }: CookieOptions): void => {
  const attributes = [`${name}=${value}`, 'Path=/', 'HttpOnly', `SameSite=${sameSite}`];
  if (secure) attributes.push('Secure');
  if (maxAgeSeconds !== undefined) attributes.push(`Max-Age=${maxAgeSeconds}`);
  const existing = reply.getHeader('set-cookie');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing.map(String) : [String(existing)];
  void reply.header('set-cookie', [...list, attributes.join('; ')]);
};

export const clearCookie = (reply: FastifyReply, name: string, secure: boolean): void =>
  setCookie(reply, name, '', { secure, sameSite: 'Lax', maxAgeSeconds: 0 });

/**
 * CSRF protection for every form POST, in two layers: the browser must send a matching pair
 * (a random `kh_csrf` cookie, SameSite=Strict, and a form field derived from it with the keyed
 * secret hash: a signed double submit), and an Origin header, when sent, must be Keyhold's own.
 */
@Injectable()
export class CsrfTokens {
  constructor(private readonly hasher: SecretHasher) {}

  /** The form token for this browser, setting its cookie first if it has none. */
  tokenFor(request: FastifyRequest, reply: FastifyReply, secure: boolean): string {
    let cookie = readCookies(request).get(CSRF_COOKIE);
    if (!cookie) {
      cookie = randomBytes(32).toString('base64url');
      setCookie(reply, CSRF_COOKIE, cookie, { secure, sameSite: 'Strict' });
    }
    return this.sign(cookie);
  }

  /** Whether a POST carries the right token for its cookie and comes from Keyhold's own origin. */
  verify(request: FastifyRequest, formToken: unknown, issuer: string): boolean {
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== new URL(issuer).origin) return false;
    const cookie = readCookies(request).get(CSRF_COOKIE);
    if (!cookie || typeof formToken !== 'string') return false;
    const expected = Buffer.from(this.sign(cookie));
    const given = Buffer.from(formToken);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private sign(cookie: string): string {
    return this.hasher.hash(`csrf:${cookie}`).hash;
  }
}
