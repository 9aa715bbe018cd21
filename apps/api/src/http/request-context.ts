import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { RequestContext } from '@keyhold/application';
import { Caller } from '@keyhold/domain';
import { Principal } from '../verification/principal';
import { Problem } from './problem';

/** Who asks, as the application's use cases take it from every edge; here, from an HTTP request. */
export type { RequestContext };

const ANONYMOUS: Caller = { kind: 'anonymous', permissions: new Set() };

/** Printable text, at most 500 characters: it is kept forever in the log and shown to auditors. */
const REASON = /^[^\p{Cc}]{1,500}$/u;

/**
 * The request id doubles as correlation id unless the caller sent one (X-Correlation-Id). A
 * Keyhold-Reason header, on any change, is recorded with its events for auditors.
 */
export const correlationIdOf = (request: FastifyRequest): string => {
  const header = request.headers['x-correlation-id'];
  return typeof header === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(header) ? header : request.id;
};

export const CurrentRequestContext = createParamDecorator((_data: unknown, context: ExecutionContext): RequestContext =>
  requestContextOf(context.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>()),
);

/** The context of the commands a request runs: who calls, its correlation id, its reason. */
export const requestContextOf = (request: FastifyRequest & { principal?: Principal }): RequestContext => {
  const correlationId = correlationIdOf(request);
  const reasonHeader = request.headers['keyhold-reason'];
  if (reasonHeader !== undefined && (typeof reasonHeader !== 'string' || !REASON.test(reasonHeader.trim()))) {
    throw new Problem('validation-error', 'Keyhold-Reason must be 1 to 500 printable characters.');
  }
  const reason = reasonHeader?.trim();
  const principal = request.principal;
  const caller: Caller = principal ? { kind: principal.actor.kind, permissions: principal.permissions } : ANONYMOUS;
  return { actorId: principal?.actor.id ?? 'anonymous', correlationId, causationId: request.id, caller, ...(reason ? { reason } : {}) };
};
