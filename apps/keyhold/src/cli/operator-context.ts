import { DynamicModule, INestApplicationContext, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createRootLogger, InfrastructureModule, KeyholdConfig, PinoNestLogger } from '@keyhold/platform';

/**
 * The service's own adapters on the same data, for an operator command: the configuration the
 * service would load, with its info lines kept quiet so that stdout stays the command's result.
 */
export const openOperatorContext = async (config: KeyholdConfig, imports: Array<Type | DynamicModule> = []): Promise<INestApplicationContext> => {
  const logger = createRootLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  @Module({ imports: [InfrastructureModule.forRoot(config, logger), ...imports] })
  class OperatorModule {}
  return NestFactory.createApplicationContext(OperatorModule, { logger: new PinoNestLogger(logger) });
};
