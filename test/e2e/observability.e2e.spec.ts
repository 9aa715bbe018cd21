import { CredentialIndexService } from '../../apps/api/src/verification/credential-index.service';
import { expectProblem, KeyholdHarness } from '../support/keyhold-harness';
import { sample } from '../support/metrics';
import { secretsFoundIn } from '../support/secret-scan';

/** The structured request lines among the captured logs. */
const requestLines = (logs: string[]) =>
  logs
    .flatMap((chunk) => chunk.split('\n'))
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .filter((entry) => entry.msg === 'request');

describe('Operability: metrics and request logs', () => {
  let keyhold: KeyholdHarness;
  let admin: Awaited<ReturnType<KeyholdHarness['bootstrap']>>;
  const issued: Record<string, string> = {};

  beforeAll(async () => {
    keyhold = await KeyholdHarness.start();
    admin = await keyhold.bootstrap('acme');
    issued.admin = admin.token;
  });
  afterAll(() => keyhold.stop());

  describe('/metrics', () => {
    it('refuses a caller without a token', async () => {
      expectProblem(await keyhold.get('/metrics'), 401, 'unauthenticated');
    });

    it('counts the caller of POST /v1/tokens once, whether its answer came from the fast path or, on a failure, from the route', async () => {
      const accepted = async () => sample((await keyhold.get('/metrics', admin.token)).text, 'keyhold_verifications_total', { kind: 'personalApiToken', outcome: 'accepted' }) ?? 0;
      // Each scrape verifies the admin's token once too: a delta of 2 is the POST and the scrape after it.
      let before = await accepted();
      expect((await keyhold.post('/v1/tokens', admin.token, { label: 'counted once', scope: 'read' })).status).toBe(201);
      expect((await accepted()) - before).toBe(2);
      before = await accepted();
      expectProblem(await keyhold.post('/v1/tokens', admin.token, { label: 'counted once', scope: 'read' }), 409, 'label-taken');
      expect((await accepted()) - before).toBe(2);
    });

    it('verifies the caller of POST /v1/tokens once per request, also when the fast path refuses it or its command fails', async () => {
      const readOnly = await keyhold.post('/v1/tokens', admin.token, { label: 'verified once, read only', scope: 'read' });
      const checks = jest.spyOn(keyhold.app.get(CredentialIndexService), 'check');
      try {
        const checked = async (token: string, label: string) => {
          checks.mockClear();
          const answer = await keyhold.post('/v1/tokens', token, { label, scope: 'read' });
          return { answer, checks: checks.mock.calls.length };
        };
        const issued = await checked(admin.token, 'verified once');
        expect(issued.answer.status).toBe(201);
        expect(issued.checks).toBe(1);
        const taken = await checked(admin.token, 'verified once');
        expectProblem(taken.answer, 409, 'label-taken');
        expect(taken.checks).toBe(1);
        const forbidden = await checked(readOnly.body.token, 'not allowed');
        expectProblem(forbidden.answer, 403, 'forbidden');
        expect(forbidden.answer.body.detail).toContain("'tokens:write'");
        expect(forbidden.checks).toBe(1);
        const unknown = await checked(`${admin.token.slice(0, -4)}AAAA`, 'unknown caller');
        expectProblem(unknown.answer, 401, 'unauthenticated');
        expect(unknown.checks).toBe(1);
      } finally {
        checks.mockRestore();
      }
    });

    it("counts requests per route template, verifications, issuance and revocation, and shows the log's progress", async () => {
      const before = (await keyhold.get('/metrics', admin.token)).text;
      const created = await keyhold.post('/v1/tokens', admin.token, { label: 'metrics probe', scope: 'read' });
      expect(created.status).toBe(201);
      issued.probe = created.body.token;
      expect((await keyhold.get(`/v1/tokens/${created.body.id}`, created.body.token)).status).toBe(200);
      expect((await keyhold.post(`/v1/tokens/${created.body.id}/revoke`, admin.token, { reason: 'metrics test' })).status).toBe(200);
      expect((await keyhold.get('/v1/tokens', created.body.token)).status).toBe(401);
      expect((await keyhold.get('/v1/tokens', 'not-a-keyhold-secret')).status).toBe(401);
      expect((await keyhold.get('/no/such/route')).status).toBe(404);

      // The relay tells this node's feed about the revocation asynchronously: wait for its word.
      let scraped = await keyhold.get('/metrics', admin.token);
      for (let n = 0; n < 50 && sample(scraped.text, 'keyhold_revocation_propagation_seconds_count') === sample(before, 'keyhold_revocation_propagation_seconds_count'); n += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        scraped = await keyhold.get('/metrics', admin.token);
      }
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const after = scraped.text;
      const delta = (name: string, labels: Record<string, string>) => (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);

      expect(delta('keyhold_http_requests_total', { method: 'GET', route: '/v1/tokens/:id', status: '200' })).toBe(1);
      expect(delta('keyhold_http_requests_total', { method: 'GET', route: '/metrics', status: '200' })).toBeGreaterThanOrEqual(1);
      expect(delta('keyhold_http_requests_total', { method: 'POST', route: '/v1/tokens/:id/revoke', status: '200' })).toBe(1);
      expect(delta('keyhold_http_requests_total', { method: 'GET', route: '/v1/tokens', status: '401' })).toBe(2);
      expect(delta('keyhold_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
      expect(sample(after, 'keyhold_http_request_duration_seconds_count', { method: 'POST', route: '/v1/tokens', status_class: '2xx' })).toBeGreaterThanOrEqual(1);
      expect(after).not.toContain(created.body.id);
      expect(after).not.toContain('/no/such/route');

      expect(delta('keyhold_verifications_total', { kind: 'personalApiToken', outcome: 'accepted' })).toBeGreaterThanOrEqual(3);
      expect(delta('keyhold_verifications_total', { kind: 'personalApiToken', outcome: 'rejected' })).toBe(1);
      expect(delta('keyhold_verifications_total', { kind: 'unrecognised', outcome: 'rejected' })).toBe(1);
      expect(delta('keyhold_credential_changes_total', { kind: 'personalApiToken', change: 'issued' })).toBe(1);
      expect(delta('keyhold_credential_changes_total', { kind: 'personalApiToken', change: 'revoked' })).toBe(1);

      const head = sample(after, 'keyhold_event_log_head_position');
      expect(head).toBeGreaterThan(sample(before, 'keyhold_event_log_head_position')!);
      expect(sample(after, 'keyhold_projection_lag_position', { projection: 'credential-index' })).toBe(0);
      expect(sample(after, 'keyhold_projection_failing', { projection: 'credential-index' })).toBe(0);
      expect(sample(after, 'keyhold_revocation_feed_stale')).toBe(0);
      expect(sample(after, 'keyhold_revocation_feed_silent_seconds')).toBeGreaterThanOrEqual(0);
      // In process too, the relay's message about the revocation reaches this node's feed.
      expect(delta('keyhold_revocation_propagation_seconds_count', {})).toBe(1);
      expect(sample(after, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThan(0);
      expect(secretsFoundIn(after, issued)).toEqual([]);
    });
  });

  describe('request logs', () => {
    it('writes one line per request with route, status, duration, correlation, tenant and actor, and no header or body', async () => {
      const created = await keyhold.request('POST', '/v1/tokens', {
        token: admin.token,
        json: { label: 'logged', scope: 'read' },
        headers: { 'x-correlation-id': 'ops-ticket-7', cookie: 'session=cookie-secret-value' },
      });
      expect(created.status).toBe(201);
      issued.logged = created.body.token;
      const denied = await keyhold.request('GET', `/v1/tokens/${created.body.id}`, { token: 'kh_pat_forged' });
      expect(denied.status).toBe(401);

      const lines = requestLines(keyhold.logs);
      const issuedLine = lines.find((line) => line.correlationId === 'ops-ticket-7');
      expect(issuedLine).toMatchObject({
        level: 30,
        component: 'http',
        method: 'POST',
        route: '/v1/tokens',
        status: 201,
        tenantId: admin.tenantId,
        actorId: admin.userId,
        actorKind: 'user',
      });
      expect(typeof issuedLine.requestId).toBe('string');
      expect(issuedLine.durationMs).toBeGreaterThan(0);
      expect(lines.filter((line) => line.requestId === issuedLine.requestId)).toHaveLength(1);

      const deniedLine = lines.find((line) => line.route === '/v1/tokens/:id' && line.status === 401);
      expect(deniedLine).toMatchObject({ method: 'GET', tenantId: null, actorId: null });
      expect(deniedLine.correlationId).toBe(deniedLine.requestId);

      const everything = keyhold.logs.join('\n');
      expect(everything).not.toContain('cookie-secret-value');
      expect(everything).not.toContain('kh_pat_forged');
      expect(everything).not.toContain('"logged"');
    });

    it('never logs a secret issued during the run', async () => {
      expect(Object.keys(issued).length).toBeGreaterThanOrEqual(3);
      expect(requestLines(keyhold.logs).length).toBeGreaterThan(10);
      expect(secretsFoundIn(keyhold.logs.join('\n'), issued)).toEqual([]);
    });
  });
});

describe('Operability: restricting /metrics', () => {
  it('reads only with METRICS_TOKEN when one is configured', async () => {
    const scrapeToken = 'prometheus-scrape-token-0123456789abcdef';
    const keyhold = await KeyholdHarness.start(undefined, { METRICS_TOKEN: scrapeToken });
    try {
      const admin = await keyhold.bootstrap('acme');
      expectProblem(await keyhold.get('/metrics', admin.token), 401, 'unauthenticated');
      const scraped = await keyhold.get('/metrics', scrapeToken);
      expect(scraped.status).toBe(200);
      expect(scraped.text).toContain('keyhold_http_requests_total');
      expect(keyhold.logs.join('\n')).not.toContain(scrapeToken);
    } finally {
      await keyhold.stop();
    }
  });

  it('answers 404 when METRICS=off', async () => {
    const keyhold = await KeyholdHarness.start(undefined, { METRICS: 'off' });
    try {
      const admin = await keyhold.bootstrap('acme');
      expectProblem(await keyhold.get('/metrics', admin.token), 404, 'not-found');
    } finally {
      await keyhold.stop();
    }
  });
});
