import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { registerTracerProvider } from '@keyhold/platform';
import { KeyholdHarness } from '../support/keyhold-harness';
import { everythingSpansSay, named, parentOf, spanEnded, spansFor } from '../support/spans';

/**
 * Keyhold's spans, caught by an in-memory exporter registered as the process's tracer provider
 * (what Tracing registers with an OTLP exporter when OTEL_EXPORTER_OTLP_ENDPOINT is set).
 */
describe('Traces', () => {
  const exporter = new InMemorySpanExporter();
  let provider: TracerProvider;
  let keyhold: KeyholdHarness;

  beforeAll(async () => {
    provider = registerTracerProvider(new SimpleSpanProcessor({ exporter }));
    keyhold = await KeyholdHarness.start();
  });
  afterAll(async () => {
    await keyhold.stop();
    await provider.shutdown();
  });

  it('follows a request through HTTP, the command, the append, the projections and the relay, by correlation id', async () => {
    const admin = await keyhold.bootstrap('acme');
    const issued = await keyhold.request('POST', '/v1/tokens', { token: admin.token, json: { label: 'traced', scope: 'read' }, headers: { 'x-correlation-id': 'trace-42' } });
    expect(issued.status).toBe(201);

    // Projections and the relay apply the events after the answer: wait for the relay's span.
    await spanEnded(exporter, 'trace-42', 'projection lifecycle-relay');
    const spans = spansFor(exporter, 'trace-42');

    const [http] = named(spans, 'POST /v1/tokens');
    expect(http).toBeDefined();
    expect(http.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/v1/tokens', 'http.response.status_code': 201, 'keyhold.tenant_id': admin.tenantId });

    const [command] = named(spans, 'command IssueToken');
    expect(command.spanContext().traceId).toBe(http.spanContext().traceId);
    expect(parentOf(command)).toBe(http.spanContext().spanId);

    const [append] = named(spans, 'append');
    expect(parentOf(append)).toBe(command.spanContext().spanId);
    expect(append.attributes).toMatchObject({ 'keyhold.stream': `personalTokens-${admin.userId}`, 'keyhold.events': 1 });

    const projections = spans.filter((span) => span.name.startsWith('projection ')).map((span) => span.name);
    expect(projections).toEqual(expect.arrayContaining(['projection credential-index', 'projection lifecycle-relay']));
    // The relay publishes a page of events at once: its span is the page's, whose publish is a child of it.
    const [relayPage] = named(spans, 'projection lifecycle-relay');
    const [publish] = exporter.getFinishedSpans().filter((span) => span.name === 'relay publish' && parentOf(span) === relayPage.spanContext().spanId);
    expect(publish.attributes).toMatchObject({ 'messaging.destination.name': 'keyhold.lifecycle.v1', 'messaging.batch.message_count': 1 });

    // Nothing secret in any span.
    const everything = everythingSpansSay(exporter);
    expect(everything).not.toContain(issued.body.token);
    expect(everything).not.toContain(admin.token);
  });

  it("continues a caller's trace from its traceparent header", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const answered = await keyhold.request('GET', '/health', { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, 'x-correlation-id': 'trace-43' } });
    expect(answered.status).toBe(200);
    const [http] = named(spansFor(exporter, 'trace-43'), 'GET /health');
    expect(http.spanContext().traceId).toBe(traceId);
    expect(parentOf(http)).toBe('00f067aa0ba902b7');
  });
});
