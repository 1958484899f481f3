// A small load generator with k6's two executors: "constant-arrival-rate" (open model: requests
// start at a fixed rate whatever the latency; when maxInFlight are outstanding a start is dropped
// and counted, like k6's dropped_iterations) and "constant-vus" (closed model: N loops, each
// sends its next request when the last one answered: the server's maximum throughput).
// HTTP/1.1 keep-alive pools from undici, one per API process; requests go round-robin over them.
// (k6 itself is not used: it is under the AGPL, which this project's package policy excludes.)
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { LatencyHistogram } from '../../libs/scheduler/bench/latency-histogram';

export type Outcome = 'ok' | 'refused' | 'error';

export interface Classified {
  outcome: Outcome;
  /** GraphQL extensions.code for refusals and errors, or "HTTP_<status>" / "NETWORK". */
  code?: string;
  detail?: string;
}

export interface LoadRequest {
  op: string;
  body: string;
  headers: Record<string, string>;
  /** Called with the parsed response after classification (records acknowledged bookings, etc.). */
  onResult?: (json: any, result: Classified) => void;
}

export type Executor =
  | { type: 'constant-arrival-rate'; rate: number; durationS: number; maxInFlight: number }
  | { type: 'constant-vus'; vus: number; durationS: number };

export interface Threshold {
  /** "error_rate" (errors / requests), "p50" | "p95" | "p99" (ms), "dropped_rate". */
  metric: 'error_rate' | 'p50' | 'p95' | 'p99' | 'dropped_rate';
  /** Restrict to one operation; all operations when absent. */
  op?: string;
  max: number;
  /** When false, a failure is reported but does not fail the run (speed targets in CI). */
  abortOnFail?: boolean;
}

export interface ScenarioSpec {
  name: string;
  targets: string[];
  path?: string;
  executor: Executor;
  next: (iteration: number) => LoadRequest;
  classify: (op: string, status: number, json: any) => Classified;
  thresholds: Threshold[];
}

export interface OpStats {
  requests: number;
  ok: number;
  refused: number;
  errors: number;
  codes: Record<string, number>;
  latencyMs: { min: number; p50: number; p90: number; p95: number; p99: number; max: number; mean: number };
  perSecond: { requests: number; ok: number; refused: number; errors: number };
  errorSamples: string[];
}

export interface ThresholdResult extends Threshold {
  value: number;
  pass: boolean;
}

export interface ScenarioResult {
  scenario: string;
  executor: Executor;
  targets: string[];
  startedAt: string;
  durationS: number;
  dropped: number;
  /** CPU the load generator itself used, in cores (it shares the machine with the API). */
  generatorCores: number;
  total: OpStats;
  ops: Record<string, OpStats>;
  thresholds: ThresholdResult[];
  pass: boolean;
}

class OpRecorder {
  latencies = new LatencyHistogram();
  ok = 0;
  refused = 0;
  errors = 0;
  codes: Record<string, number> = {};
  errorSamples: string[] = [];

  record(ms: number, c: Classified): void {
    this.latencies.record(ms);
    if (c.outcome === 'ok') this.ok++;
    else if (c.outcome === 'refused') this.refused++;
    else {
      this.errors++;
      if (this.errorSamples.length < 5) this.errorSamples.push(`${c.code ?? ''} ${c.detail ?? ''}`.trim());
    }
    if (c.code) this.codes[c.code] = (this.codes[c.code] ?? 0) + 1;
  }

  stats(seconds: number): OpStats {
    const h = this.latencies;
    const q = (p: number) => h.percentile(p);
    const r = (x: number) => Math.round(x * 100) / 100;
    const requests = h.count;
    return {
      requests,
      ok: this.ok,
      refused: this.refused,
      errors: this.errors,
      codes: this.codes,
      latencyMs: {
        min: r(h.min),
        p50: r(q(0.5)),
        p90: r(q(0.9)),
        p95: r(q(0.95)),
        p99: r(q(0.99)),
        max: r(h.max),
        mean: r(h.mean),
      },
      perSecond: {
        requests: r(requests / seconds),
        ok: r(this.ok / seconds),
        refused: r(this.refused / seconds),
        errors: r(this.errors / seconds),
      },
      errorSamples: this.errorSamples,
    };
  }
}

export function evaluate(t: Threshold, stats: OpStats | undefined, dropped: number): ThresholdResult {
  let value = 0;
  if (stats) {
    if (t.metric === 'error_rate') value = stats.requests ? stats.errors / stats.requests : 0;
    else if (t.metric === 'dropped_rate') value = dropped / Math.max(1, stats.requests + dropped);
    else value = stats.latencyMs[t.metric];
  }
  // A threshold on an operation that never ran cannot pass silently.
  const pass = stats !== undefined && stats.requests > 0 && value <= t.max;
  return { ...t, value: Math.round(value * 10000) / 10000, pass };
}

/** Runs one scenario to completion and returns its statistics and threshold results. */
export async function runScenario(spec: ScenarioSpec): Promise<ScenarioResult> {
  const path = spec.path ?? '/graphql';
  const ex = spec.executor;
  const concurrency = ex.type === 'constant-vus' ? ex.vus : ex.maxInFlight;
  const perPool = Math.max(1, Math.ceil(concurrency / spec.targets.length));
  const pools = spec.targets.map((t) => new Pool(t, { connections: perPool, pipelining: 1, keepAliveTimeout: 30_000 }));
  const recorders = new Map<string, OpRecorder>();
  const all = new OpRecorder();
  let iteration = 0;
  let inFlight = 0;
  let dropped = 0;

  const one = async (): Promise<void> => {
    const i = iteration++;
    const req = spec.next(i);
    const pool = pools[i % pools.length];
    const t0 = performance.now();
    let c: Classified;
    let json: any;
    try {
      const res = await pool.request({ path, method: 'POST', headers: req.headers, body: req.body });
      const text = await res.body.text();
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      c =
        json === undefined
          ? { outcome: 'error', code: `HTTP_${res.statusCode}`, detail: text.slice(0, 200) }
          : spec.classify(req.op, res.statusCode, json);
    } catch (e) {
      c = { outcome: 'error', code: 'NETWORK', detail: (e as Error).message };
    }
    const ms = performance.now() - t0;
    let rec = recorders.get(req.op);
    if (!rec) recorders.set(req.op, (rec = new OpRecorder()));
    rec.record(ms, c);
    all.record(ms, c);
    if (req.onResult) req.onResult(json, c);
  };

  const startedAt = new Date();
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const endAt = start + ex.durationS * 1000;

  if (ex.type === 'constant-vus') {
    const loop = async () => {
      while (performance.now() < endAt) await one();
    };
    await Promise.all(Array.from({ length: ex.vus }, loop));
  } else {
    // Start requests on schedule: every millisecond tick starts those that are due.
    const interval = 1000 / ex.rate;
    let started = 0;
    const pending = new Set<Promise<void>>();
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        const due = Math.min(
          Math.floor((Math.min(now, endAt) - start) / interval) + 1,
          Math.floor(ex.durationS * ex.rate),
        );
        while (started < due) {
          started++;
          if (inFlight >= ex.maxInFlight) {
            dropped++;
            continue;
          }
          inFlight++;
          const p = one().finally(() => {
            inFlight--;
            pending.delete(p);
          });
          pending.add(p);
        }
        if (now >= endAt) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    await Promise.all(pending);
  }

  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await Promise.all(pools.map((p) => p.close()));
  const ops: Record<string, OpStats> = {};
  for (const [op, rec] of recorders) ops[op] = rec.stats(seconds);
  const total = all.stats(seconds);
  const thresholds = spec.thresholds.map((t) => evaluate(t, t.op ? ops[t.op] : total, dropped));
  return {
    scenario: spec.name,
    executor: ex,
    targets: spec.targets,
    startedAt: startedAt.toISOString(),
    durationS: Math.round(seconds * 100) / 100,
    dropped,
    generatorCores: Math.round(((cpu.user + cpu.system) / 1e6 / seconds) * 100) / 100,
    total,
    ops,
    thresholds,
    pass: thresholds.every((t) => t.pass || t.abortOnFail === false),
  };
}
