import { FastifyReply, FastifyRequest } from 'fastify';
import { errorPage, isPagePath } from '../sign-in/html';
import { Problem, PROBLEM_KINDS } from './problem';

/**
 * Answers a request refused by a Fastify hook, before Nest's filter can see it: an HTML error
 * page where a browser is shown pages (sign-in, consent), RFC 6749 `invalid_request` on the other
 * OAuth endpoints, problem details everywhere else.
 */
export const refuseEarly = (request: FastifyRequest, reply: FastifyReply, problem: Problem): FastifyReply => {
  if (isPagePath(request.url)) return errorPage(reply, problem.status, PROBLEM_KINDS[problem.kind].title, problem.detail);
  return request.url.startsWith('/oauth/')
    ? reply.status(400).header('Cache-Control', 'no-store').send({ error: 'invalid_request', error_description: problem.detail })
    : reply.status(problem.status).type('application/problem+json').send(problem.toDocument(request.url));
};
