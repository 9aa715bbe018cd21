import 'reflect-metadata';
import { INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { Logger } from 'pino';
import { MESSAGE_BUS, MessageBus } from '@keyhold/messaging';
import { KeyholdConfig, KeyholdMetrics, PinoNestLogger } from '@keyhold/platform';
import { kafkaCommandsTransport, kafkaCommandTopics } from './kafka-commands/kafka-command-topics';
import { validationPipe } from './http/validation';
import { requireMediaTypes } from './http/media-types';
import { refuseDuplicateAuthorization } from './http/authorization-header';
import { refuseDeepJson } from './http/json-depth';
import { closeConnectionsAsTheyIdle } from './http/idle-connections';
import { openApiDocument } from './http/openapi';
import { observeRequests } from './observability/request-observability';
import { answerFromHooks } from './http/fast-path';
import { IntrospectionFastPath } from './verification/introspection-fast-path';
import { TokenFastPath } from './oauth/token-fast-path';
import { IssueTokenFastPath } from './tokens/issue-token-fast-path';

/** Requests are small JSON or form bodies; anything larger is refused before it is parsed. */
const BODY_LIMIT_BYTES = 16 * 1024;

/**
 * The HTTP edge around a module the composition root built (apps/keyhold): Fastify, the
 * pipes, the API document, the Kafka commands transport, and the listening socket.
 */
export const serveHttp = async (rootModule: Type, config: KeyholdConfig, logger: Logger): Promise<{ app: INestApplicationContext; url: string }> => {
  const nestLogger = new PinoNestLogger(logger);
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: () => randomUUID(),
    // No Nest middleware here (hooks instead): @fastify/middie would still run an onRequest hook
    // on every request for nothing. A middleware added later fails at start, not silently.
    skipMiddie: true,
    // Only the proxies named in TRUSTED_PROXIES may say who the client is (X-Forwarded-For).
    trustProxy: config.TRUSTED_PROXIES?.split(',').map((proxy) => proxy.trim()) ?? false,
  });
  // abortOnError: false lets a start-up failure reach the caller (main prints it and exits 1)
  // instead of Nest exiting the process itself.
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, adapter, { logger: nestLogger, bufferLogs: true, abortOnError: false });
  app.useGlobalPipes(validationPipe());
  requireMediaTypes(app.getHttpAdapter().getInstance());
  refuseDeepJson(app.getHttpAdapter().getInstance());
  refuseDuplicateAuthorization(app.getHttpAdapter().getInstance());
  observeRequests(app.getHttpAdapter().getInstance(), logger, app.get(KeyholdMetrics));
  closeConnectionsAsTheyIdle(app.getHttpAdapter().getInstance());
  // Before listen(), which registers the routes: the hooks attach to their routes as they are added.
  answerFromHooks(app.getHttpAdapter().getInstance(), [app.get(IntrospectionFastPath), app.get(TokenFastPath), app.get(IssueTokenFastPath)]);
  app.enableShutdownHooks();

  const document = openApiDocument(app);
  // Swagger UI at /docs (its assets through @fastify/static; jest.config.js loads that package's
  // ESM-only dependencies), the document at /openapi.json and /openapi.yaml.
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });

  if (config.MESSAGE_BUS === 'kafka') {
    // Commands from internal services (docs/kafka-commands.md); the HTTP pipes and filters are not theirs.
    // Its consumer subscribes as soon as it starts: on a topic it had to create, a fresh broker
    // answers 'does not host this topic-partition' until a leader is elected, and start-up fails.
    await app.get<MessageBus>(MESSAGE_BUS).ensureTopics([kafkaCommandTopics(config.KAFKA_COMMAND_TOPIC_PREFIX).commands]);
    app.connectMicroservice(kafkaCommandsTransport(config), { inheritAppConfig: false });
    await app.startAllMicroservices();
  }
  await app.listen(config.PORT, config.HOST);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
  // The embedded default issuer is the address listened on, known only now when PORT is 0;
  // production mode cannot get here without PUBLIC_URL (loadConfig refuses).
  config.PUBLIC_URL ??= url;
  logger.info({ url, roles: config.KEYHOLD_ROLES }, 'Keyhold listening');
  return { app, url };
};
