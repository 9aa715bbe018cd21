import { FastifyInstance } from 'fastify';
import { refuseEarly } from './early-refusal';
import { Problem } from './problem';

/** Far deeper than any request body of this API (the deepest, a connection's credential, is 3). */
const MAX_JSON_DEPTH = 32;

/** Whether some property of `value` is itself an object: a form, or a command's flat JSON, has none. */
const nests = (value: object): boolean => {
  for (const key in value) {
    const child = (value as Record<string, unknown>)[key];
    if (typeof child === 'object' && child !== null) return true;
  }
  return false;
};

/** How deep a parsed JSON value nests, counted without recursion so a hostile body cannot exhaust the stack. */
const exceedsDepth = (root: unknown, max: number): boolean => {
  // A flat body (every hot route's) is answered without the walk's queue of entries.
  if (typeof root !== 'object' || root === null || !nests(root)) return false;
  const pending: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 0 }];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const { value, depth } = item;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= max) return true;
    // Only objects can nest: a form's strings are not worth an entry each on the hottest routes.
    for (const child of Object.values(value)) if (typeof child === 'object' && child !== null) pending.push({ value: child, depth: depth + 1 });
  }
  return false;
};

/**
 * JSON.parse reads a body nested 1,500 deep without trouble, but class-transformer and
 * class-validator walk it recursively and overflow the stack (a 500). The depth is checked
 * here, after parsing and before validation, and answered as the client's mistake.
 */
export const refuseDeepJson = (fastify: FastifyInstance): void => {
  // Callback form, as every hook on the hot path: an async hook costs a promise and a microtask per request.
  fastify.addHook('preValidation', (request, reply, done) => {
    if (!exceedsDepth(request.body, MAX_JSON_DEPTH)) done();
    else refuseEarly(request, reply, new Problem('malformed-request', `The body nests deeper than ${MAX_JSON_DEPTH} levels.`));
  });
};
