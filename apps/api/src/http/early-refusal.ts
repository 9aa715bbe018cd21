import { FastifyReply, FastifyRequest } from 'fastify';
import { Problem } from './problem';

/**
 * Answers a request refused by a Fastify hook, before Nest's filter can see it: RFC 6749
 * `invalid_request` on the OAuth endpoints, problem details everywhere else.
 */
export const refuseEarly = (request: FastifyRequest, reply: FastifyReply, problem: Problem): FastifyReply =>
  request.url.startsWith('/oauth/')
    ? reply.status(400).header('Cache-Control', 'no-store').send({ error: 'invalid_request', error_description: problem.detail })
    : reply.status(problem.status).type('application/problem+json').send(problem.toDocument(request.url));
