import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createRootLogger, InfrastructureModule, loadConfig, PinoNestLogger } from '@keyhold/platform';
import { WorkerModule } from './worker.module';
import { Module } from '@nestjs/common';

/** The worker alone: projections without the HTTP API, for deployments that split them. */
async function main() {
  const config = loadConfig();
  const logger = createRootLogger(config.LOG_LEVEL);

  @Module({ imports: [InfrastructureModule.forRoot(config, logger), WorkerModule] })
  class WorkerAppModule {}

  const app = await NestFactory.createApplicationContext(WorkerAppModule, { logger: new PinoNestLogger(logger) });
  app.enableShutdownHooks();
  logger.info('Keyhold worker running');
}

void main().catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
