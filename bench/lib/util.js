'use strict';
/** Small helpers shared by the bench scripts: statistics, HTTP, waiting, logging. */

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const started = Date.now();
const log = (...parts) => {
  const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(7);
  process.stderr.write(`[bench ${seconds}s] ${parts.join(' ')}\n`);
};

const sorted = (values) => [...values].filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);

/** Linear-interpolated quantile of numbers (q in [0, 1]); null for no data. */
const quantile = (values, q) => {
  const xs = sorted(values);
  if (xs.length === 0) return null;
  const at = (xs.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return xs[lo] + (xs[hi] - xs[lo]) * (at - lo);
};

/** Median and spread over repetitions: what every figure in the report is made of. */
const summary = (values) => {
  const xs = sorted(values);
  if (xs.length === 0) return null;
  return {
    n: xs.length,
    median: quantile(xs, 0.5),
    min: xs[0],
    max: xs[xs.length - 1],
    q1: quantile(xs, 0.25),
    q3: quantile(xs, 0.75),
    values: values.filter((v) => typeof v === 'number' && Number.isFinite(v)),
  };
};

/** Ratios within one repetition (same sitting), then summarised: never a ratio of medians from different runs. */
const pairedRatios = (numerators, denominators) =>
  summary(numerators.map((n, i) => (typeof n === 'number' && denominators[i] ? n / denominators[i] : NaN)));

const fetchWithTimeout = async (url, options = {}, timeoutMs = 10_000) => {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await fetch(url, { ...options, signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
};

const json = async (url, options = {}, timeoutMs) => {
  const response = await fetchWithTimeout(url, options, timeoutMs);
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: response.status, body, headers: response.headers };
};

const form = (fields) => new URLSearchParams(fields).toString();

/** Polls `probe` until it returns a truthy value; throws with `what` after `timeoutMs`. */
const waitUntil = async (what, probe, { timeoutMs = 60_000, intervalMs = 200, alive = () => true } = {}) => {
  const deadline = Date.now() + timeoutMs;
  let last = null;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`${what}: the process exited`);
    try {
      const result = await probe();
      if (result) return result;
    } catch (error) {
      last = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)} s${last ? ` (last error: ${last.message})` : ''}`);
};

const round = (value, digits = 0) => (typeof value === 'number' && Number.isFinite(value) ? Number(value.toFixed(digits)) : null);

module.exports = { sleep, log, quantile, summary, pairedRatios, fetchWithTimeout, json, form, waitUntil, round };
