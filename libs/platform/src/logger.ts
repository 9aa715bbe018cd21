import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';

/**
 * One pino logger for the process. Request logging never includes headers or bodies, and these
 * paths are redacted wherever they appear, as a second line of defence for secrets.
 */
export const createRootLogger = (level: string): Logger =>
  pino({
    level,
    base: { service: 'keyhold' },
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', '*.token', '*.secret', '*.password', 'token', 'secret', 'password'],
      censor: '[redacted]',
    },
  });

/** Lets NestJS's own messages go through the same pino logger. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string) {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}

export const ROOT_LOGGER = Symbol('RootLogger');
