import { FastifyInstance } from 'fastify';
import { refuseEarly } from './early-refusal';
import { Problem } from './problem';
import { PAGE_PATHS } from '../sign-in/html';

/**
 * The REST API reads JSON and the OAuth endpoints read forms (RFC 6749 §4.1.3, RFC 7662 §2.1).
 * Fastify would also parse text/plain, letting a mislabelled body reach validation as a string;
 * a wrong media type is the client's mistake to hear about (415), not a validation puzzle.
 */
const EXPECTED: Array<{ prefix: string; type: string }> = [
  { prefix: '/oauth/', type: 'application/x-www-form-urlencoded' },
  { prefix: '/v1/', type: 'application/json' },
  // The sign-in pages' forms (apps/api/src/sign-in).
  ...PAGE_PATHS.map((prefix) => ({ prefix, type: 'application/x-www-form-urlencoded' })),
];

export const requireMediaTypes = (fastify: FastifyInstance): void => {
  // Callback form, as every hook on the hot path: an async hook costs a promise and a microtask per request.
  fastify.addHook('onRequest', (request, reply, done) => {
    const hasBody = Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
    const expected = hasBody ? EXPECTED.find((entry) => request.url.startsWith(entry.prefix)) : undefined;
    const sent = request.headers['content-type'];
    // The type exactly as expected, as every client of the hot routes sends it, needs no parsing.
    if (!expected || sent === expected.type || (sent ?? '').split(';')[0].trim().toLowerCase() === expected.type) {
      done();
      return;
    }
    refuseEarly(request, reply, new Problem('unsupported-media-type', `Send the body as ${expected.type}.`));
  });
};
