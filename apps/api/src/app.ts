import 'reflect-metadata';
import { INestApplicationContext, Module } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { Logger } from 'pino';
import { MESSAGE_BUS, MessageBus } from '@keyhold/messaging';
import { createRootLogger, InfrastructureModule, KeyholdConfig, KeyholdMetrics, PinoNestLogger } from '@keyhold/platform';
import { WorkerModule } from '../../worker/src/worker.module';
import { ApiModule } from './api.module';
import { kafkaCommandsTransport, kafkaCommandTopics } from './kafka-commands/kafka-command-topics';
import { KafkaCommandsModule } from './kafka-commands/kafka-commands.module';
import { ProblemDetailsFilter } from './http/problem-details.filter';
import { validationPipe } from './http/validation';
import { requireMediaTypes } from './http/media-types';
import { openApiDocument } from './http/openapi';
import { observeRequests } from './observability/request-observability';

/** Requests are small JSON or form bodies; anything larger is refused before it is parsed. */
const BODY_LIMIT_BYTES = 16 * 1024;

export type KeyholdProcess = { app: INestApplicationContext; url: string | null };

/**
 * Builds the process its configuration asks for: the API and the worker together (the
 * default), or either alone. Tests call this too, so what they exercise is what `npm start` runs.
 */
export const startKeyhold = async (config: KeyholdConfig, logger: Logger = createRootLogger(config.LOG_LEVEL)): Promise<KeyholdProcess> => {
  const roles = new Set(config.KEYHOLD_ROLES);
  const nestLogger = new PinoNestLogger(logger);

  @Module({
    imports: [
      InfrastructureModule.forRoot(config, logger),
      ...(roles.has('worker') ? [WorkerModule] : []),
      ...(roles.has('api') ? [ApiModule] : []),
      ...(roles.has('api') && config.MESSAGE_BUS === 'kafka' ? [KafkaCommandsModule.forConfig(config)] : []),
    ],
    providers: roles.has('api') ? [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }] : [],
  })
  class KeyholdModule {}

  if (!roles.has('api')) {
    const app = await NestFactory.createApplicationContext(KeyholdModule, { logger: nestLogger, abortOnError: false });
    app.enableShutdownHooks();
    return { app, url: null };
  }

  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: () => randomUUID(),
    trustProxy: false,
  });
  // abortOnError: false lets a start-up failure reach the caller (main prints it and exits 1)
  // instead of Nest exiting the process itself.
  const app = await NestFactory.create<NestFastifyApplication>(KeyholdModule, adapter, { logger: nestLogger, bufferLogs: true, abortOnError: false });
  app.useGlobalPipes(validationPipe());
  requireMediaTypes(app.getHttpAdapter().getInstance());
  observeRequests(app.getHttpAdapter().getInstance(), logger, app.get(KeyholdMetrics));
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
  logger.info({ url, roles: [...roles] }, 'Keyhold listening');
  return { app, url };
};
