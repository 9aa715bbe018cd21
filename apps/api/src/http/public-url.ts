import { FastifyRequest } from 'fastify';
import { KeyholdConfig } from '@keyhold/platform';

/** The URL clients reach this service at: PUBLIC_URL, or what the request was addressed to. */
export const publicBaseUrl = (config: KeyholdConfig, request: FastifyRequest): string =>
  (config.PUBLIC_URL ?? `${request.protocol}://${request.headers.host}`).replace(/\/+$/, '');
