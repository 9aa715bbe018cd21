import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { PROBLEM_KINDS } from './problem';

type Parameter = { name: string; in: string };
type Operation = {
  operationId: string;
  summary?: string;
  parameters?: Parameter[];
  security?: Array<Record<string, string[]>>;
  requestBody?: unknown;
  responses: Record<string, unknown>;
};

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
const responseRef = (name: string) => ({ $ref: `#/components/responses/${name}` });

/** `TokensController_revoke` → `Revoke`, `ApiClientsController_patchFlows` → `Patch flows`: the tag says what of. */
const summaryOf = (operationId: string): string => {
  const words = operationId.slice(operationId.indexOf('_') + 1).replace(/([A-Z])/g, ' $1').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
};

/** Path parameters bound through a DTO class carry no decorator of their own: each is a string in the path. */
const undeclaredPathParameters = (path: string, declared: readonly Parameter[]) =>
  [...path.matchAll(/\{([^}]+)\}/g)]
    .map((match) => match[1])
    .filter((name) => !declared.some((parameter) => parameter.in === 'path' && parameter.name === name))
    .map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));

/** Problem responses, by status, as #/components/responses entries. */
const PROBLEM_RESPONSES: Record<string, { name: string; description: string }> = {
  '400': { name: 'BadRequest', description: 'The request is not valid (validation-error, malformed-request, invalid-cursor).' },
  '401': { name: 'Unauthenticated', description: 'The bearer token is missing, malformed, unknown, expired or revoked.' },
  '403': { name: 'Forbidden', description: "The credential lacks a permission this operation needs, or the caller's own rights do not cover the change." },
  '404': { name: 'NotFound', description: "The resource does not exist (another tenant's resources do not exist for the caller)." },
  '409': { name: 'Conflict', description: 'The change conflicts with the current state (a taken name, a limit, a concurrent change).' },
  '412': { name: 'PreconditionFailed', description: 'The resource changed since the ETag given in If-Match (precondition-failed): read it again.' },
  '413': { name: 'PayloadTooLarge', description: 'The request body is larger than 16 KiB.' },
  '415': { name: 'UnsupportedMediaType', description: 'The request body is not application/json.' },
  '500': { name: 'InternalError', description: 'The service failed to handle the request.' },
};

/** The OAuth endpoints answer RFC 6749 §5.2 errors, not problem details. */
const OAUTH_PATHS = new Set(['/oauth/token', '/oauth/revoke']);

const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details; `type` is stable and names the kind of problem, `detail` is for humans.',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', format: 'uri', enum: Object.keys(PROBLEM_KINDS).map((kind) => `https://keyhold.dev/problems/${kind}`) },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      description: 'For validation-error: the fields at fault and what is wrong with each.',
      items: { type: 'object', required: ['field', 'messages'], properties: { field: { type: 'string' }, messages: { type: 'array', items: { type: 'string' } } } },
    },
  },
};

const oauthErrorSchema = {
  type: 'object',
  description: 'RFC 6749 §5.2 error response.',
  required: ['error'],
  properties: {
    error: { type: 'string', enum: ['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope'] },
    error_description: { type: 'string' },
  },
};

/**
 * The document Nest builds from the controllers, completed with what decorators would repeat on
 * every route: the error responses (problem+json everywhere but the OAuth endpoints, which answer
 * RFC 6749 errors) and the security schemes, so that a generated client knows every answer.
 */
export const openApiDocument = (app: INestApplication): OpenAPIObject => {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Keyhold')
      .setDescription('Credential lifecycle service: issue, store, rotate, revoke and audit machine credentials.')
      .setVersion('1')
      .setLicense('UNLICENSED', 'https://keyhold.dev/license')
      .addServer('/', 'This service')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'A credential this service issued: kh_pat_… (personal API token) or kh_at_… (OAuth access token); opaque.' })
      .addBasicAuth({ type: 'http', scheme: 'basic', description: 'OAuth client authentication (client_secret_basic): client id and secret.' }, 'client')
      .build(),
  );
  const components = document.components ?? (document.components = {});
  components.schemas = { ...components.schemas, Problem: problemSchema, OAuthError: oauthErrorSchema } as typeof components.schemas;
  components.responses = {
    ...Object.fromEntries(
      Object.values(PROBLEM_RESPONSES).map(({ name, description }) => [
        name,
        { description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
      ]),
    ),
    OAuthError: { description: 'An RFC 6749 error: invalid_request, invalid_client (401), invalid_grant, unauthorized_client, unsupported_grant_type, invalid_scope.', content: { 'application/json': { schema: { $ref: '#/components/schemas/OAuthError' } } } },
  };

  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = (item as Record<string, Operation | undefined>)[method];
      if (!operation) continue;
      operation.summary ??= summaryOf(operation.operationId);
      operation.parameters = [...(operation.parameters ?? []), ...undeclaredPathParameters(path, operation.parameters ?? [])];
      const add = (status: string, response: unknown) => {
        operation.responses[status] ??= response;
      };
      if (OAUTH_PATHS.has(path)) {
        operation.security = [{ client: [] }];
        add('400', responseRef('OAuthError'));
        add('401', responseRef('OAuthError'));
        continue;
      }
      const secured = (operation.security ?? []).length > 0;
      // Public: said so, rather than left for a reader to guess.
      if (!secured) operation.security = [];
      const statuses = [
        ...(path.startsWith('/v1/') ? ['400'] : []),
        ...(secured ? ['401', '403'] : []),
        ...(path.includes('{') ? ['404'] : []),
        ...(method !== 'get' && path.startsWith('/v1/') ? ['409'] : []),
        ...(operation.parameters.some((parameter) => parameter.in === 'header' && parameter.name === 'If-Match') ? ['412'] : []),
        ...(operation.requestBody ? ['413', '415'] : []),
        '500',
      ];
      for (const status of statuses) add(status, responseRef(PROBLEM_RESPONSES[status].name));
    }
  }
  return document;
};
