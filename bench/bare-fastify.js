'use strict';
/**
 * The machine's limit for this kind of work: a bare Fastify server (the HTTP framework Keyhold
 * runs on) answering every request with a fixed JSON body, no validation, no lookup. Form bodies
 * are accepted unparsed so that it can be loaded with exactly the requests sent to Keyhold.
 *
 *   PORT=3399 node bench/bare-fastify.js
 */
const fastify = require('fastify')({ logger: false });

// Shaped like both answers it stands in for: an introspection result and a token response.
const BODY = { active: true, scope: 'read', sub: 'limit', token_type: 'Bearer', access_token: 'limit', expires_in: 300 };

fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, body));
fastify.route({ method: ['GET', 'POST'], url: '/*', handler: async () => BODY });

fastify.listen({ port: Number(process.env.PORT ?? 3399), host: '127.0.0.1' }).catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
