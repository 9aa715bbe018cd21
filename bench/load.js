'use strict';
/**
 * The load generator, always a process of its own: autocannon, closed loop (each connection
 * sends its next request when the previous answer arrives). Reads a plan from the JSON file
 * named on the command line, prints one JSON result on stdout.
 *
 * Plan: { url, method, headers, connections, durationSeconds, pipelining,
 *         bodies?: string[], perRequest?: { headers: object[] } | null,
 *         labelTemplate?: string, check?: 'active' | 'access_token' | null }
 * `bodies` rotate round robin; with `perRequest.headers` the headers rotate too (one set per
 * user); `labelTemplate` replaces `{n}` in the body with a counter unique to this process.
 * `check` parses one answer in 50 and counts how many carry what they must (introspection
 * answers `active: true`, token answers an `access_token`), so that fast errors never pass for
 * throughput.
 */
const autocannon = require('autocannon');
const { readFileSync } = require('node:fs');

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const bodies = plan.bodies ?? null;
const headerSets = plan.perRequest?.headers ?? null;
let counter = 0;
const checked = { sampled: 0, ok: 0, bad: 0, example: null };
const CHECK_EVERY = 50;
let responses = 0;

const checkBody = (body) => {
  try {
    const parsed = JSON.parse(body);
    if (plan.check === 'active') return parsed.active === true;
    if (plan.check === 'access_token') return typeof parsed.access_token === 'string' && parsed.access_token.length > 0;
    if (plan.check === 'created') return typeof parsed.token === 'string';
    return true;
  } catch {
    return false;
  }
};

const request = {
  method: plan.method ?? 'GET',
  path: new URL(plan.url).pathname,
  headers: plan.headers ?? {},
  setupRequest: (req) => {
    const n = counter++;
    const next = { ...req };
    if (bodies) {
      const body = bodies[n % bodies.length];
      next.body = plan.labelTemplate ? body.replace('{n}', `${process.pid}-${n}`) : body;
    }
    if (headerSets) next.headers = { ...req.headers, ...headerSets[n % headerSets.length] };
    return next;
  },
  onResponse: plan.check
    ? (status, body) => {
        responses += 1;
        if (responses % CHECK_EVERY !== 0) return;
        checked.sampled += 1;
        if (status >= 200 && status < 300 && checkBody(body)) checked.ok += 1;
        else {
          checked.bad += 1;
          checked.example ??= `${status} ${String(body).slice(0, 200)}`;
        }
      }
    : undefined,
};

/** Every 2xx answer's latency in ms, at full resolution (autocannon's own histogram keeps whole ms). */
let latencies = new Float64Array(1 << 20);
let recorded = 0;
const record = (ms) => {
  if (recorded === latencies.length) {
    const bigger = new Float64Array(latencies.length * 2);
    bigger.set(latencies);
    latencies = bigger;
  }
  latencies[recorded++] = ms;
};
const percentile = (xs, q) => (xs.length === 0 ? null : xs[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)]);

const instance = autocannon(
  {
    url: new URL(plan.url).origin,
    connections: plan.connections,
    pipelining: plan.pipelining ?? 1,
    duration: plan.durationSeconds,
    timeout: plan.timeoutSeconds ?? 10,
    requests: [request],
    setupClient: undefined,
  },
  (error, result) => {
    if (error) {
      process.stderr.write(`${error.stack}\n`);
      process.exit(1);
    }
    const xs = latencies.subarray(0, recorded).sort();
    const mean = xs.reduce((sum, x) => sum + x, 0) / (xs.length || 1);
    process.stdout.write(
      `${JSON.stringify({
        requestsPerSecond: result.requests.average,
        totalRequests: result.requests.total,
        durationSeconds: result.duration,
        latencyMs: {
          samples: xs.length,
          mean,
          p50: percentile(xs, 0.5),
          p90: percentile(xs, 0.9),
          p99: percentile(xs, 0.99),
          p99_9: percentile(xs, 0.999),
          max: xs.length ? xs[xs.length - 1] : null,
        },
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        statusCodes: result.statusCodeStats,
        checked,
      })}\n`,
    );
  },
);
instance.on('response', (_client, statusCode, _bytes, responseTime) => {
  if (statusCode >= 200 && statusCode < 300) record(responseTime);
});
