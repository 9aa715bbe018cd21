import { Inject, Injectable } from '@nestjs/common';
import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';
import { Logger } from 'pino';
import { OutboundHttp, OutboundRequest, OutboundResult } from '@keyhold/application';
import { KEYHOLD_CONFIG, KeyholdConfig, ROOT_LOGGER } from '@keyhold/platform';

export type { OutboundHttp, OutboundRequest, OutboundResult };

/** The one way Keyhold calls out: a form POST, under the outbound policy. */
export const OUTBOUND_HTTP = Symbol('OutboundHttp');

const ATTEMPTS = 3;
const BACKOFF_MS = [250, 1000];
const TIMEOUT_MS = 5000;
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * Addresses an outbound call may not reach unless the operator allows it: loopback, private
 * (RFC 1918, RFC 4193), link-local (cloud metadata lives there), CGNAT, unspecified, multicast.
 */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv6');
}
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

const familyOf = (address: string) => (isIP(address) === 6 ? 'ipv6' : 'ipv4');
const mappedV4 = (address: string) => /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? null;
const isIn = (list: BlockList, address: string) => {
  const v4 = mappedV4(address);
  return v4 ? list.check(v4, 'ipv4') : list.check(address, familyOf(address));
};

class PolicyRefusal extends Error {}
class RetryableFailure extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The outbound adapter. Every address a name resolves to is checked when the socket connects (a
 * `lookup` hook), so a name that resolves to a private address at connection time is refused
 * too (DNS rebinding). Redirects are not followed: a 3xx is a failure, so a callback can never
 * be bounced to another host. Each attempt has a short timeout; network errors, 429 and 5xx are
 * retried with back-off. Logs name the host and the outcome only.
 */
@Injectable()
export class NodeOutboundHttp implements OutboundHttp {
  constructor(
    @Inject(KEYHOLD_CONFIG) private readonly config: KeyholdConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async postForm(request: OutboundRequest): Promise<OutboundResult> {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return { outcome: 'refused', host: '', attempts: 0, reason: 'The URL is not an absolute URL.' };
    }
    const host = url.host;
    const refusal = this.policyRefusal(url, request.allowHttp);
    if (refusal) {
      this.logger.warn({ host, reason: refusal }, 'Outbound call refused');
      return { outcome: 'refused', host, attempts: 0, reason: refusal };
    }
    let last: RetryableFailure = new RetryableFailure('not attempted', null);
    for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
      try {
        const { status, body } = await this.once(url, request);
        this.logger.info({ host, attempt, status }, 'Outbound call delivered');
        return { outcome: 'delivered', host, attempts: attempt, status, body };
      } catch (error) {
        if (error instanceof PolicyRefusal) {
          this.logger.warn({ host, reason: error.message }, 'Outbound call refused');
          return { outcome: 'refused', host, attempts: 0, reason: error.message };
        }
        last = error instanceof RetryableFailure ? error : new RetryableFailure('The call failed.', null);
        this.logger.warn({ host, attempt, status: last.status, reason: last.message }, 'Outbound call attempt failed');
        if (last.status !== null && last.status < 500 && last.status !== 429) {
          return { outcome: 'failed', host, attempts: attempt, reason: last.message, status: last.status };
        }
        if (attempt < ATTEMPTS) await sleep(BACKOFF_MS[attempt - 1]);
      }
    }
    return { outcome: 'failed', host, attempts: ATTEMPTS, reason: last.message, status: last.status };
  }

  private policyRefusal(url: URL, allowHttp: boolean): string | null {
    if (url.username || url.password) return 'The URL carries credentials.';
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    // An IP literal is connected to without a lookup: checked here.
    if (isIP(literal) !== 0 && isIn(PRIVATE, literal) && !this.config.OUTBOUND_ALLOW_LOOPBACK) {
      return 'The host is a loopback, private or link-local address.';
    }
    if (url.protocol === 'https:') return null;
    if (url.protocol !== 'http:') return `The ${url.protocol} scheme is not allowed.`;
    if (allowHttp) return null;
    const loopbackName = literal === 'localhost' || (isIP(literal) !== 0 && isIn(LOOPBACK, literal));
    if (this.config.OUTBOUND_ALLOW_LOOPBACK && loopbackName) return null;
    return 'Plain http is refused; use https (or mark the integration insecure).';
  }

  /** Resolves as the socket connects, refusing private addresses unless the operator allows them. */
  private readonly guardedLookup = (
    hostname: string,
    options: object,
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const list = addresses as LookupAddress[];
      const blocked = list.find((entry) => isIn(PRIVATE, entry.address));
      if (blocked && !this.config.OUTBOUND_ALLOW_LOOPBACK) {
        return callback(Object.assign(new PolicyRefusal('The host resolves to a loopback, private or link-local address.'), { code: 'EPOLICY' }), []);
      }
      if ((options as { all?: boolean }).all) return callback(null, list);
      return callback(null, list[0].address, list[0].family);
    });
  };

  private once(url: URL, request: OutboundRequest): Promise<{ status: number; body: string }> {
    const body = new URLSearchParams(request.form).toString();
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const outgoing = send(
        url,
        {
          method: 'POST',
          lookup: this.guardedLookup as never,
          timeout: TIMEOUT_MS,
          headers: {
            ...request.headers,
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'keyhold-outbound/1',
          },
        },
        (response: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) response.destroy(new RetryableFailure('The response was too large.', response.statusCode ?? null));
            else chunks.push(chunk);
          });
          response.on('error', (error) => reject(error instanceof RetryableFailure ? error : new RetryableFailure('The response was cut off.', null)));
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString('utf8');
            if (status >= 300 && status < 400) return reject(new RetryableFailure(`Answered ${status}; redirects are not followed.`, status));
            if (status >= 400) return reject(new RetryableFailure(`Answered ${status}.`, status));
            resolve({ status, body: text });
          });
        },
      );
      outgoing.setTimeout(TIMEOUT_MS, () => outgoing.destroy(new RetryableFailure(`No answer within ${TIMEOUT_MS} ms.`, null)));
      outgoing.on('error', (error) => {
        if (error instanceof PolicyRefusal) return reject(error);
        if (error instanceof RetryableFailure) return reject(error);
        reject(new RetryableFailure(`Could not connect (${(error as NodeJS.ErrnoException).code ?? 'network error'}).`, null));
      });
      outgoing.end(body);
    });
  }
}
