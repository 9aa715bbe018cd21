import 'reflect-metadata';
import { INestApplicationContext, Module } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { Logger } from 'pino';
import { createRootLogger, InfrastructureModule, KeyholdConfig, PinoNestLogger } from '@keyhold/platform';
import { ApiModule } from '../../api/src/api.module';
import { serveHttp } from '../../api/src/app';
import { ProblemDetailsFilter } from '../../api/src/http/problem-details.filter';
import { KafkaCommandsModule } from '../../api/src/kafka-commands/kafka-commands.module';
import { WorkerModule } from '../../worker/src/worker.module';

export type KeyholdProcess = { app: INestApplicationContext; url: string | null };

/**
 * The composition root: the one place that knows both the API and the worker. It builds the
 * process its configuration asks for: both together (the default), or either alone. Tests call
 * this too, so what they exercise is what `npm start` runs.
 */
export const startKeyhold = async (config: KeyholdConfig, logger: Logger = createRootLogger(config.LOG_LEVEL)): Promise<KeyholdProcess> => {
  const roles = new Set(config.KEYHOLD_ROLES);

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

  if (roles.has('api')) return serveHttp(KeyholdModule, config, logger);

  // abortOnError: false lets a start-up failure reach the caller (main prints it and exits 1)
  // instead of Nest exiting the process itself.
  const app = await NestFactory.createApplicationContext(KeyholdModule, { logger: new PinoNestLogger(logger), abortOnError: false });
  app.enableShutdownHooks();
  return { app, url: null };
};
