import Fastify, { FastifyInstance, FastifyRequest } from 'fastify';
import { answerFromHooks, FastAnswer, FastPath, rethrowFastPathFailure } from './fast-path';

/** A fast path that answers `{ fast: n }` when asked to, hands on otherwise, and fails on demand; it remembers who asked. */
const fastPath = (url: string) => {
  const asked: string[] = [];
  const path: FastPath = {
    method: 'POST',
    url,
    headers: { 'cache-control': 'no-store' },
    answer: async (request: FastifyRequest) => {
      asked.push(request.url);
      const { mode } = request.body as { mode: string };
      if (mode === 'fail') throw new Error('fast path failed');
      if (mode === 'created') return new FastAnswer(201, { location: '/fast/1' }, { created: true });
      return mode === 'fast' ? { fast: true } : null;
    },
  };
  return { path, asked };
};

/** Routes as Nest registers them (after the hooks), each handler rethrowing what the fast path failed with. */
const serve = async (paths: FastPath[], routes: string[]): Promise<FastifyInstance> => {
  const fastify = Fastify();
  answerFromHooks(fastify, paths);
  for (const url of routes) {
    fastify.post(url, async (request) => {
      rethrowFastPathFailure(request);
      return { slow: url };
    });
  }
  fastify.setErrorHandler((error, _request, reply) => reply.code(418).send({ handedOn: (error as Error).message }));
  await fastify.ready();
  return fastify;
};

describe('answerFromHooks: a route answered from a hook, or handed on to its route', () => {
  it('answers from the hook with its headers, hands on what it does not answer, and never runs on another route', async () => {
    const { path, asked } = fastPath('/fast');
    const fastify = await serve([path], ['/fast', '/other']);

    const fast = await fastify.inject({ method: 'POST', url: '/fast', payload: { mode: 'fast' } });
    expect(fast.statusCode).toBe(200);
    expect(fast.json()).toEqual({ fast: true });
    expect(fast.headers['cache-control']).toBe('no-store');

    expect((await fastify.inject({ method: 'POST', url: '/fast', payload: { mode: 'slow' } })).json()).toEqual({ slow: '/fast' });
    expect((await fastify.inject({ method: 'POST', url: '/other', payload: { mode: 'fast' } })).json()).toEqual({ slow: '/other' });
    expect(asked).toEqual(['/fast', '/fast']);
    await fastify.close();
  });

  it('answers with the status and headers of a FastAnswer, besides the headers of every answer', async () => {
    const { path } = fastPath('/fast');
    const fastify = await serve([path], ['/fast']);
    const created = await fastify.inject({ method: 'POST', url: '/fast', payload: { mode: 'created' } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ created: true });
    expect(created.headers.location).toBe('/fast/1');
    expect(created.headers['cache-control']).toBe('no-store');
    await fastify.close();
  });

  it("hands a failure to the route, which throws it again for the route's error handling", async () => {
    const { path } = fastPath('/fast');
    const fastify = await serve([path], ['/fast']);
    const failed = await fastify.inject({ method: 'POST', url: '/fast', payload: { mode: 'fail' } });
    expect(failed.statusCode).toBe(418);
    expect(failed.json()).toEqual({ handedOn: 'fast path failed' });
    await fastify.close();
  });

  it('refuses to start when a fast path names a route nobody registered', async () => {
    const { path } = fastPath('/nowhere');
    await expect(serve([path], ['/fast'])).rejects.toThrow('POST /nowhere');
  });
});
