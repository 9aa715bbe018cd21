import { FastifyInstance } from 'fastify';
import { refuseEarly } from './early-refusal';
import { Problem } from './problem';

/**
 * Node keeps the first of two Authorization headers and drops the second without a word, so a
 * proxy and the service could each read a different credential. Two are refused, whatever the route.
 */
export const refuseDuplicateAuthorization = (fastify: FastifyInstance): void => {
  // Callback form, as every hook on the hot path: an async hook costs a promise and a microtask per request.
  fastify.addHook('onRequest', (request, reply, done) => {
    let seen = 0;
    for (let index = 0; index < request.raw.rawHeaders.length; index += 2) {
      if (request.raw.rawHeaders[index].toLowerCase() === 'authorization') seen += 1;
    }
    if (seen > 1) refuseEarly(request, reply, new Problem('malformed-request', 'Send one Authorization header, not several.'));
    else done();
  });
};
