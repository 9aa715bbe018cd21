import Fastify from 'fastify';
import { DECORATORS } from '@nestjs/swagger';
import { INTROSPECTION_RESPONSE_SCHEMA, IntrospectionResponse } from './introspection.controller';

/** An answer with every property IntrospectionResponse has, each of its type. */
const FULL_ANSWER: Required<IntrospectionResponse> = {
  active: true,
  scope: 'tokens:read projects:write',
  sub: 'e456fb17-4092-46e8-bd79-66bb6d9969db',
  iat: 1795970852,
  exp: 1827506852,
  token_type: 'Bearer',
  jti: '26a437df-4d44-48d4-9e6b-0c3f4d1b2a7e',
  tenant_id: '5cd3e797-9d52-51a5-9cf1-66773bd97c35',
  actor_kind: 'service_account',
  client_id: 'c0ffee00-0000-4000-8000-000000000001',
  projects: ['alpha', 'beta'],
  credential_kind: 'access_token',
  permissions: ['projects:write', 'tokens:read'],
};

/** The 200 answer as a route with the schema sends it (Fastify compiles its serializer from the schema). */
const sent = async (answer: object): Promise<string> => {
  const fastify = Fastify();
  fastify.post('/oauth/introspect', { schema: { response: { 200: INTROSPECTION_RESPONSE_SCHEMA } } }, async () => answer);
  const response = await fastify.inject({ method: 'POST', url: '/oauth/introspect' });
  await fastify.close();
  return response.body;
};

describe('The introspection answer serialized from its schema', () => {
  it('names every property IntrospectionResponse declares to the API document, so that none is dropped', () => {
    const declared = (Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES_ARRAY, IntrospectionResponse.prototype) as string[]).map((key) => key.replace(/^:/, ''));
    expect(Object.keys(INTROSPECTION_RESPONSE_SCHEMA.properties).sort()).toEqual([...declared].sort());
  });

  it('writes an answer with every property as JSON.stringify does', async () => {
    expect(await sent(FULL_ANSWER)).toBe(JSON.stringify(FULL_ANSWER));
  });

  it('writes an inactive answer as `active` alone, and leaves out absent properties', async () => {
    expect(await sent({ active: false })).toBe('{"active":false}');
    const { exp: _exp, client_id: _clientId, projects: _projects, ...withoutOptional } = FULL_ANSWER;
    expect(await sent(withoutOptional)).toBe(JSON.stringify(withoutOptional));
  });
});
