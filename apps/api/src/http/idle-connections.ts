import { FastifyInstance } from 'fastify';

/** How often a closing server looks for keep-alive connections that have just gone idle. */
const SWEEP_EVERY_MS = 50;

/**
 * On close, Fastify closes the keep-alive connections that are idle at that moment, answers new
 * requests 503 and lets the requests in flight finish. A connection whose request was in flight
 * goes idle only afterwards, and nothing closes it then: the close waited for the client to hang
 * up or for keepAliveTimeout (72 s), so a shutdown during a burst of commands hung that long.
 * Until the server has closed, connections are closed as they go idle.
 */
export const closeConnectionsAsTheyIdle = (fastify: FastifyInstance): void => {
  fastify.addHook('preClose', (done) => {
    const server = fastify.server;
    const sweep = setInterval(() => server.closeIdleConnections(), SWEEP_EVERY_MS);
    sweep.unref();
    server.once('close', () => clearInterval(sweep));
    done();
  });
};
