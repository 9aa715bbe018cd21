import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { Problem } from './problem';

/**
 * ETag and If-Match (RFC 9110 §8.8.3, §13.1.1) over the log's revisions: a single resource's
 * ETag is the revision of the stream that holds it, `"<revision>"`, and an If-Match on a change
 * becomes the use case's expected revision, so a change made on a stale read is refused (412)
 * instead of silently overwriting what the caller did not see. If-Match stays optional.
 */
export const etagOf = (revision: number): string => `"${revision}"`;

export const setETag = (reply: FastifyReply, revision: number): void => {
  void reply.header('ETag', etagOf(revision));
};

/** For `@ApiOkResponse({ headers: ETAG_HEADER })` on a single resource's GET. */
export const ETAG_HEADER = {
  ETag: { description: 'The revision of the resource, to send back in If-Match with a change.', schema: { type: 'string', example: '"3"' } },
};

const STRONG_REVISION = /^"(\d{1,15})"$/;

/** The revision an If-Match names; undefined when there is none, or `*` (any current revision). */
export const expectedRevisionOf = (header: string | undefined): number | undefined => {
  if (header === undefined) return undefined;
  const tags = header.split(',').map((tag) => tag.trim());
  if (tags.includes('*')) return undefined;
  if (tags.length > 1) throw new Problem('validation-error', 'If-Match: give the one ETag this resource was read with.');
  const revision = STRONG_REVISION.exec(tags[0]);
  // A weak or foreign tag never matches under If-Match's strong comparison.
  if (!revision) throw new Problem('precondition-failed', 'If-Match names no revision of this resource; read it again for its ETag.');
  return Number(revision[1]);
};

/** `@IfMatch() expectedRevision: number | undefined`: hand it to the use case as its expected revision. */
export const IfMatch = createParamDecorator((_data: unknown, context: ExecutionContext): number | undefined => {
  const header = context.switchToHttp().getRequest<FastifyRequest>().headers['if-match'];
  return expectedRevisionOf(Array.isArray(header) ? header.join(',') : header);
});

/** Documents If-Match on a change; the OpenAPI document adds its 412 answer (http/openapi.ts). */
export const ApiIfMatch = () =>
  ApiHeader({ name: 'If-Match', required: false, description: 'The ETag the resource was read with: the change is made only if it is still current, else 412 (precondition-failed).' });
