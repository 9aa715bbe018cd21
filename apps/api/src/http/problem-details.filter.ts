import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'pino';
import { ApplicationError } from '@keyhold/application';
import { InvalidCursorError } from '@keyhold/read-models';
import { ROOT_LOGGER } from '@keyhold/platform';
import { OAuthError, Problem, ProblemKind, PROBLEM_KINDS } from './problem';
import { oauthErrorOf } from './oauth-failures';
import { problemOf } from './rejection-error';
import { oauth1Challenge } from '../integrations/oauth1/oauth1-signatures';
import { OAuth1Problem } from '../integrations/oauth1/oauth1-signature';
import { errorPage, isPagePath } from '../sign-in/html';

const KIND_BY_STATUS: Record<number, ProblemKind> = {
  400: 'malformed-request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  429: 'rate-limited',
  503: 'service-unavailable',
};

/**
 * The one place where failures become responses: problem+json for the REST API, RFC 6749 JSON
 * on the OAuth endpoints. Anything unexpected becomes a bare 500 whose detail is only a
 * correlation id: error messages can quote inputs, and inputs can be secrets.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(@Inject(ROOT_LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();

    const problem = exception instanceof OAuthError ? (isPagePath(request.url) ? new Problem('malformed-request', exception.description) : null) : this.toProblem(exception, request);
    const oauthError = isPagePath(request.url) ? null : exception instanceof OAuthError ? exception : isOAuthEndpoint(request) ? oauthErrorFor(exception, problem) : null;
    if (oauthError) {
      if (oauthError.wwwAuthenticate) void reply.header('WWW-Authenticate', oauthError.wwwAuthenticate);
      for (const [name, value] of Object.entries(oauthError.headers)) void reply.header(name, value);
      void reply
        .status(oauthError.status)
        .header('Cache-Control', 'no-store')
        .header('Pragma', 'no-cache')
        .type('application/json')
        .send({ error: oauthError.error, error_description: oauthError.description });
      return;
    }
    if (!problem) return;
    const retryAfter = problem.extensions.retryAfterSeconds;
    if (typeof retryAfter === 'number') void reply.header('Retry-After', String(retryAfter));
    if (isPagePath(request.url)) {
      void errorPage(reply, problem.status, PROBLEM_KINDS[problem.kind].title, problem.detail);
      return;
    }
    if (problem.kind === 'unauthenticated') {
      const oauthProblem = problem.extensions.oauth_problem;
      void reply.header('WWW-Authenticate', typeof oauthProblem === 'string' ? oauth1Challenge(oauthProblem as OAuth1Problem) : 'Bearer realm="keyhold"');
    }
    void reply.status(problem.status).type('application/problem+json').send(problem.toDocument(request.url));
  }

  private toProblem(exception: unknown, request: FastifyRequest): Problem {
    if (exception instanceof Problem) return exception;
    if (exception instanceof ApplicationError) return problemOf(exception);
    if (exception instanceof InvalidCursorError) return new Problem('invalid-cursor', exception.message);
    const status = statusOf(exception);
    if (status !== null && status < 500 && KIND_BY_STATUS[status]) {
      const kind = KIND_BY_STATUS[status];
      return new Problem(kind, status === 404 ? `No resource at ${request.method} ${request.url.split('?')[0]}.` : PROBLEM_KINDS[kind].title);
    }
    this.logger.error({ err: exception, requestId: request.id, url: request.url.split('?')[0] }, 'Unhandled error');
    return new Problem('internal-error', `The failure was logged with request id ${request.id}.`);
  }
}

const isOAuthEndpoint = (request: FastifyRequest) => request.url.startsWith('/oauth/');

/** An application failure by its own mapping (complete by type); anything else as its problem translates. */
const oauthErrorFor = (exception: unknown, problem: Problem | null): OAuthError | null =>
  exception instanceof ApplicationError ? oauthErrorOf(exception) : problem && asOAuthError(problem);

/**
 * The OAuth endpoints speak RFC 6749 §5.2 and RFC 6750 §3.1 errors; the same failures that
 * elsewhere become problem details are translated here, so guards and pipes stay protocol-blind.
 */
const asOAuthError = (problem: Problem): OAuthError | null => {
  switch (problem.kind) {
    case 'unauthenticated':
      return new OAuthError('invalid_token', problem.detail, 401, 'Bearer error="invalid_token"');
    case 'forbidden':
      return new OAuthError('insufficient_scope', problem.detail, 403, 'Bearer error="insufficient_scope"');
    case 'revocation-pending':
      // RFC 7009 §2.2.1: 503 tells the client to assume the token still valid and retry.
      return new OAuthError('temporarily_unavailable', problem.detail, 503, null, { 'Retry-After': String(problem.extensions.retryAfterSeconds) });
    case 'internal-error':
    case 'service-unavailable':
      return null;
    default:
      return new OAuthError('invalid_request', problem.detail, problem.status);
  }
};

/** Nest's HttpExceptions and Fastify's own errors (bad JSON, body too large) both carry a status. */
const statusOf = (exception: unknown): number | null => {
  if (exception instanceof HttpException) return exception.getStatus();
  const statusCode = (exception as { statusCode?: unknown } | null)?.statusCode;
  return typeof statusCode === 'number' ? statusCode : null;
};
