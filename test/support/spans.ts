import { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace';
import { eventually } from './eventually';

/** The finished spans that carry this correlation id, alone or among those of a page of events. */
export const spansFor = (exporter: InMemorySpanExporter, correlationId: string): ReadableSpan[] =>
  exporter.getFinishedSpans().filter((span) => {
    const many = span.attributes['keyhold.correlation_ids'];
    return span.attributes['keyhold.correlation_id'] === correlationId || (Array.isArray(many) && (many as unknown[]).includes(correlationId));
  });

export const named = (spans: ReadableSpan[], name: string): ReadableSpan[] => spans.filter((span) => span.name === name);

export const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

/** What every finished span says (names, attributes, events), as text to scan for secrets. */
export const everythingSpansSay = (exporter: InMemorySpanExporter): string =>
  JSON.stringify(exporter.getFinishedSpans().map((span) => ({ name: span.name, attributes: span.attributes, events: span.events })));

/** Spans end after the work they wrap answers (projections, the relay, a Kafka command): waits up to two seconds for this one. */
export const spanEnded = (exporter: InMemorySpanExporter, correlationId: string, name: string): Promise<boolean> =>
  eventually(async () => named(spansFor(exporter, correlationId), name).length > 0, 2_000, 20);
