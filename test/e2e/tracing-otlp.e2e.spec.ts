import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { KeyholdHarness } from '../support/keyhold-harness';

/** With OTEL_EXPORTER_OTLP_ENDPOINT set, Keyhold sends its spans there over OTLP/HTTP (JSON). */
describe('Traces to an OTLP collector', () => {
  let collector: Server;
  const received: Array<{ path: string; body: any }> = [];

  beforeAll(async () => {
    collector = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ path: request.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise((resolve) => collector.close(resolve)));

  it('exports the spans of a request, flushed at shutdown', async () => {
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    const keyhold = await KeyholdHarness.start(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
    const admin = await keyhold.bootstrap('acme');
    expect((await keyhold.request('GET', '/v1/me', { token: admin.token, headers: { 'x-correlation-id': 'otlp-1' } })).status).toBe(200);
    await keyhold.stop();

    expect(received.length).toBeGreaterThan(0);
    expect(received.every(({ path }) => path === '/v1/traces')).toBe(true);
    const spans = received.flatMap(({ body }) => body.resourceSpans.flatMap((r: any) => r.scopeSpans.flatMap((s: any) => s.spans)));
    const me = spans.find((span: any) => span.name === 'GET /v1/me');
    expect(me.attributes).toEqual(expect.arrayContaining([{ key: 'keyhold.correlation_id', value: { stringValue: 'otlp-1' } }]));
    const service = received[0].body.resourceSpans[0].resource.attributes.find((a: any) => a.key === 'service.name');
    expect(service.value.stringValue).toBe('keyhold');
    expect(JSON.stringify(received)).not.toContain(admin.token);
  });
});
