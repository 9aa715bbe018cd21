import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { EVENT_STORE, EventStore, GlobalPosition } from '@keyhold/event-store';
import { ProjectionsService } from './projections.service';

/**
 * A position as a number for a gauge: SQLite's sequence is the event count; EventStoreDB's
 * `commit/prepare` pair counts bytes of log, of which the commit part is taken. Differences of
 * two such numbers are what a dashboard plots (growth, lag); their unit is the adapter's.
 */
const positionValue = (position: GlobalPosition | null): number => (position === null ? 0 : Number(position.split('/')[0]));

/**
 * The process's Prometheus metrics, in a registry of its own (not prom-client's global one), so
 * that two Keyholds in one process (tests) keep apart. Labels are bounded sets named in code:
 * route templates, methods, statuses, credential kinds, projection names; never an id, a URL as
 * sent, or anything a caller typed. prom-client is the client the Prometheus project lists for
 * Node.js; its default metrics bring the event-loop delay (`nodejs_eventloop_lag_*`), heap and
 * GC figures.
 */
@Injectable()
export class KeyholdMetrics implements OnModuleDestroy {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'keyhold_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'keyhold_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route template and status class (2xx, 4xx, ...).',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly verifications = new Counter({
    name: 'keyhold_verifications_total',
    help: 'Credentials presented for verification, by kind (from the secret prefix; "unrecognised" otherwise) and outcome.',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly credentialChanges = new Counter({
    name: 'keyhold_credential_changes_total',
    help: 'Credentials issued or revoked by commands this process ran, by kind and change.',
    labelNames: ['kind', 'change'] as const,
    registers: [this.registry],
  });

  readonly revocationPropagation = new Histogram({
    name: 'keyhold_revocation_propagation_seconds',
    help: 'From a revocation being recorded to this node denying it on word from the lifecycle topic.',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** A gauge whose value another component knows: read at each scrape. */
  gauge(name: string, help: string, read: () => number | Promise<number>): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        this.set(await read());
      },
    });
  }

  /** A gauge with one series per name (e.g. per projection), read at each scrape. */
  gaugePer(label: string, name: string, help: string, read: () => ReadonlyArray<readonly [string, number]>): void {
    new Gauge({
      name,
      help,
      labelNames: [label],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [value, reading] of read()) this.set({ [label]: value }, reading);
      },
    });
  }

  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  onModuleDestroy(): void {
    this.registry.clear();
  }
}

/** The log's head and how far each projection of this process is behind it, read at each scrape. */
@Injectable()
export class EventLogMetrics {
  private head: GlobalPosition | null = null;

  constructor(@Inject(EVENT_STORE) events: EventStore, projections: ProjectionsService, metrics: KeyholdMetrics) {
    metrics.gauge('keyhold_event_log_head_position', 'Position of the last event in the log (SQLite: events; EventStoreDB: commit position in bytes).', async () => {
      this.head = await events.headPosition().catch(() => this.head);
      return positionValue(this.head);
    });
    // Registered after the head, so that a scrape computes the lag against the head it has just read.
    metrics.gaugePer('projection', 'keyhold_projection_lag_position', 'How far each projection of this process is behind the head of the log, in the unit of keyhold_event_log_head_position.', () =>
      projections.statuses().map((status) => [status.name, Math.max(0, positionValue(this.head) - positionValue(status.position))] as const),
    );
    metrics.gaugePer('projection', 'keyhold_projection_failing', '1 while a projection is stalled on an event it cannot apply (it retries with back-off), else 0.', () =>
      projections.statuses().map((status) => [status.name, status.failure ? 1 : 0] as const),
    );
  }
}
