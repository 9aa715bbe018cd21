import { FastifyRequest } from 'fastify';
import { KeyholdConfig } from '@keyhold/platform';

/**
 * This service's issuer URL (RFC 8414 §2): PUBLIC_URL when configured, else what the request
 * was addressed to. Metadata, invitation links and sign-in cookies all derive from this one
 * function, so that they agree.
 */
export const issuerOf = (config: Pick<KeyholdConfig, 'PUBLIC_URL'>, request: FastifyRequest): string =>
  config.PUBLIC_URL ?? `${request.protocol}://${request.headers.host}`;
