import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { registerTracerProvider } from '@keyhold/platform';
import { KafkaCommandRig } from '../support/kafka-commands';
import { describeWithServer } from '../support/real-server';
import { secretsFoundIn } from '../support/secret-scan';
import { everythingSpansSay, named, parentOf, spanEnded, spansFor } from '../support/spans';

/**
 * The span around a command read from Kafka, caught by an in-memory exporter registered as the
 * process's tracer provider, as in tracing.e2e.spec.ts.
 */
describeWithServer('KAFKA_BROKERS', 'Traces of commands from Kafka', (brokers) => {
  const exporter = new InMemorySpanExporter();
  const rig = new KafkaCommandRig(brokers, 'tracing-kafka-test');
  let provider: TracerProvider;

  beforeAll(async () => {
    provider = registerTracerProvider(new SimpleSpanProcessor({ exporter }));
    await rig.start();
  }, 90_000);
  afterAll(async () => {
    await rig.stop();
    await provider?.shutdown();
  }, 30_000);

  it('wraps a signed command in a consumer span with its correlation id, type and outcome, its command and appends in the same trace, and no secret', async () => {
    const command = rig.envelope('service-account.reset-secret', { id: rig.target.id });
    await rig.send(await rig.sign(command));
    const result = await rig.resultOf(command.commandId);
    expect(result).toMatchObject({ status: 'accepted', redelivery: false });
    const { clientSecret } = await rig.decryptSecrets(result.encryptedSecrets);

    // The consumer span ends just after the result is published: wait for it.
    await spanEnded(exporter, command.commandId, 'kafka command');
    const spans = spansFor(exporter, command.commandId);

    const consumed = named(spans, 'kafka command');
    expect(consumed).toHaveLength(1);
    const [consumer] = consumed;
    expect(consumer.kind).toBe(SpanKind.CONSUMER);
    expect(consumer.attributes).toMatchObject({
      'messaging.destination.name': rig.topics.commands,
      'keyhold.correlation_id': command.commandId,
      'keyhold.command_type': 'service-account.reset-secret',
      'keyhold.command_status': 'accepted',
      'keyhold.command_redelivery': false,
    });
    expect(consumer.attributes['keyhold.command_error']).toBeUndefined();
    const trace = consumer.spanContext().traceId;

    const [reset] = named(spans, 'command ResetClientSecret');
    expect(reset).toBeDefined();
    expect(reset.spanContext().traceId).toBe(trace);
    expect(parentOf(reset)).toBe(consumer.spanContext().spanId);
    expect(reset.attributes).toMatchObject({ 'keyhold.tenant_id': rig.admin.tenantId });

    // The claim, the reset and the recorded outcome: three appends in the consumer's trace. (The worker's
    // reaction to the reset, ResetServiceAccountPermissions, carries the correlation id but starts its own trace.)
    const appends = named(spans, 'append').filter((span) => span.spanContext().traceId === trace);
    expect(appends.map((span) => span.attributes['keyhold.stream']).sort()).toEqual(
      [`kafkaCommand-${command.commandId}`, `kafkaCommand-${command.commandId}`, `serviceAccount-${rig.target.id}`].sort(),
    );
    const [resetAppend] = appends.filter((span) => span.attributes['keyhold.stream'] === `serviceAccount-${rig.target.id}`);
    expect(parentOf(resetAppend)).toBe(reset.spanContext().spanId);
    const claims = appends.filter((span) => span.attributes['keyhold.stream'] === `kafkaCommand-${command.commandId}`);
    expect(claims.map(parentOf)).toEqual([consumer.spanContext().spanId, consumer.spanContext().spanId]);

    // Nothing secret in any span: not the new client secret, not the encrypted reply, not the admin's token.
    const everything = everythingSpansSay(exporter);
    expect(secretsFoundIn(everything, { clientSecret, encryptedSecrets: result.encryptedSecrets, adminToken: rig.admin.token })).toEqual([]);
  });
});
