import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from 'pino';
import { dbStats } from '@pflex/persistence';
import { greenShare, tflopsToPflops } from '@pflex/scheduler';
import { floorHour } from '../common/time.utils';
import { APP_CONFIG, PINO } from '../config';
import type { AppConfig } from '../config';
import { EventsService, LIVE_HOURS_IN_FLIGHT } from '../events/events.service';
import { LedgerRepository } from '../ledger/ledger.repository';

interface ClusterNow {
  id: string;
  region: string;
  capacity: number;
  booked: number;
  green: number;
  draw: number;
}

const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const DECISION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/**
 * Prometheus metrics of this process, in a registry of its own (two apps in one test process
 * must not share counters). Cluster gauges are read from the database at scrape time, so
 * every replica reports the same values for them.
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'pflex_graphql_requests_total',
    help: 'GraphQL requests by root field (operation), operation type and outcome (ok, error)',
    labelNames: ['operation', 'type', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'pflex_graphql_request_duration_seconds',
    help: 'GraphQL request latency by root field (operation) and operation type, seconds',
    labelNames: ['operation', 'type'] as const,
    buckets: SECONDS_BUCKETS,
    registers: [this.registry],
  });
  private readonly bookings = new Counter({
    name: 'pflex_bookings_total',
    help: 'Bookings confirmed and cancelled (counted after commit by the process that committed them), and bookCompute refusals by reason',
    labelNames: ['outcome', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly decisions = new Histogram({
    name: 'pflex_scheduler_decision_seconds',
    help: 'Scheduler decision time (place: one objective before commit; quote: all objectives), seconds',
    labelNames: ['kind'] as const,
    buckets: DECISION_BUCKETS,
    registers: [this.registry],
  });

  constructor(
    private readonly repo: LedgerRepository,
    private readonly events: EventsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PINO) private readonly log: Logger,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'pflex_' });
    // the cluster gauges share one query per scrape (prom-client collects metrics in parallel)
    let snapshot: Promise<ClusterNow[]> | undefined;
    const read = () =>
      (snapshot ??= this.clusterNow()
        .catch((err) => {
          this.log.warn({ err }, 'cluster gauges unavailable');
          return [];
        })
        .finally(() => setImmediate(() => (snapshot = undefined))));
    const gauge = (name: string, help: string, value: (r: ClusterNow) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['cluster_id', 'region'] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const r of await read()) this.set({ cluster_id: r.id, region: r.region }, value(r));
        },
      });
    gauge('pflex_cluster_utilization_ratio', 'Booked / capacity in the current UTC hour, per cluster', (r) =>
      r.capacity > 0 ? r.booked / r.capacity : 0,
    );
    gauge(
      'pflex_cluster_green_share_ratio',
      'Green energy / energy drawn by booked work in the current UTC hour, per cluster (0 when idle)',
      (r) => greenShare(r.green, r.draw),
    );
    gauge('pflex_cluster_booked_pflops', 'Booked PFLOPS in the current UTC hour, per cluster', (r) =>
      tflopsToPflops(r.booked),
    );
    // this process's live events, read from the events service at each scrape
    const liveGauge = (name: string, help: string, value: () => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(value());
        },
      });
    const live = this.events;
    liveGauge(
      'pflex_subscriptions_active',
      'GraphQL subscriptions (utilizationChanged, bookingEvents) open on this process',
      () => live.subscriptions(),
    );
    liveGauge(
      'pflex_live_hours_in_flight',
      `Hours of live events (a booking event counts 1) being read or sent to subscribers now, of at most ${LIVE_HOURS_IN_FLIGHT} per process`,
      () => live.admission.held,
    );
    liveGauge(
      'pflex_live_deliveries_waiting',
      'Deliveries of live events waiting for their turn (the hours in flight are at their bound)',
      () => live.admission.queued,
    );
    new Counter({
      name: 'pflex_db_round_trips_total',
      help: 'Statements this process sent to the database (each one round trip), the booking hot path and everything else',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(dbStats.roundTrips);
      },
    });
    gauge('pflex_cluster_capacity_pflops', 'Capacity in the current UTC hour, per cluster', (r) =>
      tflopsToPflops(r.capacity),
    );
  }

  onModuleInit(): void {
    this.events.onBooking((e) => {
      if (e.local && (e.status === 'CONFIRMED' || e.status === 'CANCELLED'))
        this.bookings.inc({ outcome: e.status === 'CONFIRMED' ? 'confirmed' : 'cancelled', reason: '' });
    });
  }

  request(operation: string, type: string, ok: boolean, seconds: number): void {
    this.requests.inc({ operation, type, outcome: ok ? 'ok' : 'error' });
    this.latency.observe({ operation, type }, seconds);
  }

  bookingRefused(reason: string): void {
    this.bookings.inc({ outcome: 'refused', reason });
  }

  /** Times a synchronous scheduler call. */
  decision<T>(kind: 'place' | 'quote', fn: () => T): T {
    const end = this.decisions.startTimer({ kind });
    try {
      return fn();
    } finally {
      end();
    }
  }

  private async clusterNow(): Promise<ClusterNow[]> {
    const hour = new Date(floorHour(this.config.now()));
    const rows = await this.repo.clustersNow(hour.getTime());
    return rows.map((r) => ({
      id: r.id,
      region: r.region,
      capacity: r.capacity ?? 0,
      booked: r.booked ?? 0,
      green: Number(r.green ?? 0),
      draw: Number(r.draw ?? 0),
    }));
  }
}
