import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { presentedBearer } from '../http/auth';
import { OAuth1Signatures } from '../integrations/oauth1/oauth1-signatures';
import { CredentialIndexService } from './credential-index.service';
import { Introspection, INTROSPECTION_PERMISSION, INTROSPECTION_ROUTE, IntrospectionResponse, plainlyValidToken } from './introspection.controller';
import { Principal } from './principal';
import { UsageRecorder } from './usage-recorder';

/**
 * The hottest route, answered from a Fastify hook once its body is parsed, without Nest's
 * guard, pipe and handler chain: a resource server calls it for every request it serves.
 * It answers only a request that certainly succeeds (a bearer caller that verifies and holds
 * `tokens:introspect`, a body the DTO's rules accept) with what the controller would answer;
 * anything else goes on to the controller, whose guard, pipe and filter say what is wrong in
 * the API's usual words. The hooks around it (media types, logging, metrics, tracing) run as
 * for any route, and each verification is counted once whichever way the request goes.
 */
@Injectable()
export class IntrospectionFastPath implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly credentials: CredentialIndexService,
    private readonly usage: UsageRecorder,
    private readonly introspection: Introspection,
  ) {}

  onModuleInit(): void {
    // No HTTP server in an application context (the CLI, a worker-only node): nothing to serve.
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    fastify?.addHook('preHandler', async (request: FastifyRequest & { principal?: Principal }, reply: FastifyReply) => {
      if (request.method !== 'POST' || request.routeOptions.url !== INTROSPECTION_ROUTE) return;
      const answer = await this.answer(request);
      if (answer) return reply.header('Cache-Control', 'no-store').send(answer);
    });
  }

  private async answer(request: FastifyRequest & { principal?: Principal }): Promise<IntrospectionResponse | null> {
    const token = plainlyValidToken(request.body);
    const presented = presentedBearer(request);
    if (token === null || presented === null || OAuth1Signatures.isSigned(request)) return null;
    const now = new Date().toISOString();
    const caller = await this.credentials.check(presented, now);
    if (!caller.principal?.permissions.has(INTROSPECTION_PERMISSION)) return null;
    this.credentials.count(caller);
    this.usage.record(caller.principal.credential.id, now);
    request.principal = caller.principal;
    return this.introspection.answer(caller.principal, token);
  }
}
