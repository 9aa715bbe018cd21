import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { CommandContext } from '@keyhold/event-store';
import { Principal } from '../verification/principal';

/** What a command needs to know about the request that carried it, for its events' metadata. */
export type RequestContext = Omit<CommandContext, 'tenantId' | 'now'>;

/** The request id doubles as correlation id unless the caller sent one (X-Correlation-Id). */
export const CurrentRequestContext = createParamDecorator((_data: unknown, context: ExecutionContext): RequestContext => {
  const request = context.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
  const header = request.headers['x-correlation-id'];
  const correlationId = typeof header === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(header) ? header : request.id;
  return { actorId: request.principal?.actor.id ?? 'anonymous', correlationId, causationId: request.id };
});
