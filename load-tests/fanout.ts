// npm run load:fanout [-- --subscribers N] [--hours H] [--bookings B] [--booking-subscribers M] [--few-fields] [--no-build] [--keep]   (--help lists all)
//
// Live events under fan-out: N graphql-ws subscribers of one cluster's utilizationChanged (every
// field, or with --few-fields three) on one API process started as in production (512 MB heap),
// then two changes of H hours each (importGreenForecast): the first alone, the second followed at
// once by B bookings, which M bureau subscribers of bookingEvents are told of. Per phase: how long until every subscriber had the change, the mutation's
// and the bookings' latency, a trivial request's latency meanwhile (against the same request
// before: the API stays responsive), API and PostgreSQL CPU, the API's peak RSS. Exits 1 if the
// API died, a subscriber erred or missed a change, or a request failed. Starts PostgreSQL
// (scripts/pg-up.sh, database pflex_load) unless DATABASE_URL is given; a fresh schema, dropped
// after (--keep keeps it). The subscribers run in this process, on the same machine.
import { randomBytes } from 'node:crypto';
import { loadavg, cpus } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import WebSocket from 'ws';
import { authHeaders, body, createOrganization, DOCS, gql, registerCluster, type Org } from './lib/api';
import { nearestRank } from '../libs/scheduler/bench/latency-histogram';
import { readOptions } from './lib/cli';
import { openWsSubscription } from './lib/graphql-ws-client';
import { ApiProcess, apiEnv, buildApi, dropSchema, freePorts, newRunId, pgUp } from './lib/processes';
import { rssBytes, since, usage, type Usage } from './lib/resources';

const ROOT = join(__dirname, '..');
const H = 3600_000;
const log = (m: string) => process.stderr.write(`[fanout ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

const OPTIONS = {
  subscribers: { kind: 'integer', min: 1, help: 'graphql-ws subscribers of the cluster (default 2000)' },
  hours: { kind: 'integer', min: 1, help: 'hours each change touches, at most 2232 (default 2000)' },
  bookings: { kind: 'integer', min: 0, help: 'bookings sent right after the second change (default 200)' },
  'booking-subscribers': {
    kind: 'integer',
    min: 0,
    help: "bureau subscribers of the cluster's bookingEvents, told of every booking (default 200)",
  },
  'few-fields': { kind: 'flag', help: 'subscribe to clusterId, hour, bookedPflops only (default: every field)' },
  'no-build': { kind: 'flag', help: 'use the existing dist/' },
  keep: { kind: 'flag', help: "keep the run's schema" },
  'port-base': { kind: 'integer', min: 1, help: 'first port tried for the API (default 3101)' },
} as const;

/** One subscriber: when each large change reached it, and what went wrong. */
interface Sub {
  ws: WebSocket;
  /** arrival (ms since the epoch) of the k-th message with at least `hours` hours in it */
  big: number[];
  events: number;
  error?: string;
}

async function openSubscriber(base: string, op: Org, clusterId: string, doc: string, hours: number): Promise<Sub> {
  // the callbacks count into `s` for as long as the socket lives: it is the object returned
  const s = { big: [], events: 0 } as unknown as Sub;
  const fail = (why: string) => (s.error ??= why);
  s.ws = (
    await openWsSubscription({
      base,
      apiKey: op.apiKey,
      query: doc,
      variables: { clusterId },
      ackTimeoutMs: 30_000,
      next: (p) => {
        if (p.errors) return fail(JSON.stringify(p.errors[0]).slice(0, 200));
        s.events++;
        const changed = p.data?.utilizationChanged;
        if (Array.isArray(changed) && changed.length >= hours) s.big.push(Date.now());
      },
      // large changes are counted, not parsed
      large: {
        bytes: 4096,
        seen: (data) => {
          s.events++;
          let n = 0;
          for (let i = data.indexOf('"hour":'); i >= 0; i = data.indexOf('"hour":', i + 7)) n++;
          if (n >= hours) s.big.push(Date.now());
        },
      },
      fail,
      closing: () => closing,
    })
  ).ws;
  return s;
}
let closing = false;

/** The p-th percentile, nearest rank (the project's one definition); NaN when there is nothing. */
const pct = (xs: number[], p: number) =>
  xs.length === 0
    ? NaN
    : nearestRank(
        [...xs].sort((a, b) => a - b),
        p / 100,
      );

/** A trivial request every 50 ms until stopped: the latencies seen. */
function probe(base: string): () => Promise<number[]> {
  let on = true;
  const lat: number[] = [];
  const loop = (async () => {
    while (on) {
      const t = performance.now();
      // a failure (the API died) ends the probe; the phase's own requests report it
      if (
        !(await gql(base, undefined, DOCS.trivial).then(
          () => true,
          () => false,
        ))
      )
        break;
      lat.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return async () => ((on = false), await loop, lat);
}

interface Phase {
  name: string;
  mutationMs: number;
  /** ms from the mutation's start until the last subscriber had the change */
  allReceivedMs: number;
  missing: number;
  bookings: number[];
  bookingErrors: number;
  trivial: number[];
  used: Usage;
  peakRssMb: number;
  /** ms from the phase's start until every bookingEvents subscriber had every booking (NaN: none) */
  toldMs: number;
}

async function main(): Promise<void> {
  const a = readOptions(process.argv.slice(2), OPTIONS, 'npm run load:fanout [-- options]');
  const N = a.subscribers ?? 2000;
  const hours = Math.min(a.hours ?? 2000, 2232);
  const B = a.bookings ?? 200;
  const M = a['booking-subscribers'] ?? 200;
  const doc = a['few-fields'] ? DOCS.utilizationChanged : DOCS.utilizationChangedAll;
  const databaseUrl =
    process.env.DATABASE_URL ?? (log('starting PostgreSQL'), await pgUp(ROOT, { DB_NAME: 'pflex_load' }));
  const main = buildApi(ROOT, !a['no-build'], log);
  const schema = `fanout_${newRunId().replace(/\W/g, '_')}`;
  const bureauKey = `fanout-bureau-${randomBytes(16).toString('hex')}`;
  const [port] = await freePorts(a['port-base'] ?? 3101, 1);
  const logFile = `/tmp/pflex-fanout-${port}.log`;
  // as in production (npm start): a bounded heap; API_NODE_ARGS adds node flags (e.g. --cpu-prof)
  const nodeArgs = ['--max-old-space-size=512', ...(process.env.API_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  // the API dying is the failure this tool looks for: report it and stop at once (whatever the
  // run was waiting for would only time out)
  const died = (m: string) => {
    log(m);
    log('FAIL: the API died');
    void (a.keep ? Promise.resolve() : dropSchema(databaseUrl, schema)).finally(() => process.exit(1));
  };
  const api = new ApiProcess(port, main, apiEnv({ databaseUrl, schema, bureauKey }), logFile, ROOT, nodeArgs, died);
  let failed: boolean | undefined;
  try {
    await api.start();
    const base = api.base;
    const op = await createOrganization(base, bureauKey, 'fanout operator', 'OPERATOR');
    const st = await createOrganization(base, bureauKey, 'fanout startup', 'STARTUP');
    const clusterId = await registerCluster(base, op.apiKey, {
      name: 'fanout',
      region: 'zhuhai',
      accelerator: 'H100',
      capacityPflops: 2100,
      kwPerPflops: 20,
      pue: 1.2,
      pricePerPflopsHour: 10,
      gridPricePerMwh: 80,
    });
    log(`${N} subscribers (${a['few-fields'] ? '3 fields' : 'every field'})`);
    const subs: Sub[] = [];
    for (let i = 0; i < N; i += 100)
      subs.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(100, N - i) }, () => openSubscriber(base, op, clusterId, doc, hours)),
        )),
      );
    const bureau: Org = { id: '', apiKey: bureauKey };
    const bookingSubs: Sub[] = [];
    for (let i = 0; i < M; i += 100)
      bookingSubs.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(100, M - i) }, () =>
            openSubscriber(base, bureau, clusterId, DOCS.bookingEvents, hours),
          ),
        )),
      );
    await new Promise((r) => setTimeout(r, 500));
    const idle = probe(base);
    await new Promise((r) => setTimeout(r, 2000));
    const idleTrivial = await idle();
    const h0 = Math.ceil(Date.now() / H) * H + H;
    const phases: Phase[] = [];
    for (const [k, name] of ['change alone', `change + ${B} bookings`].entries()) {
      const rows = Array.from({ length: hours }, (_, i) => ({
        startsAt: new Date(h0 + i * H).toISOString(),
        endsAt: new Date(h0 + (i + 1) * H).toISOString(),
        megawatts: 5 + ((i + k) % 7),
        pricePerMwh: 40 + k,
      }));
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(api.pid!))), 100);
      const u0 = await usage([api.pid!], [base]);
      const stopProbe = probe(base);
      const t0 = Date.now();
      const imported = gql(base, op.apiKey, DOCS.importGreenForecast, {
        clusterId,
        from: new Date(h0).toISOString(),
        to: new Date(h0 + hours * H).toISOString(),
        rows,
      }).then(() => Date.now() - t0);
      const lat: number[] = [];
      let bookingErrors = 0;
      let toldMs = NaN;
      if (k === 1) {
        let next = 0;
        await Promise.all(
          Array.from({ length: 20 }, async () => {
            for (let i = next++; i < B; i = next++) {
              const t = performance.now();
              const res = await request(`${base}/graphql`, {
                method: 'POST',
                headers: authHeaders(st.apiKey),
                body: body(DOCS.bookCompute, {
                  request: {
                    pflops: 1 + (i % 5),
                    hours: 1 + (i % 4),
                    earliestStart: new Date(h0 + (i % hours) * H).toISOString(),
                    deadline: new Date(h0 + ((i % hours) + 48) * H).toISOString(),
                  },
                  objective: i % 2 ? 'GREENEST' : 'EARLIEST',
                  idempotencyKey: `fanout-${i}`,
                }),
              });
              const text = await res.body.text();
              lat.push(performance.now() - t);
              if (res.statusCode !== 200 || text.includes('"errors"')) bookingErrors++;
            }
          }),
        );
      }
      if (k === 1 && M > 0) {
        const told = B - bookingErrors;
        const until = Date.now() + 300_000;
        while (bookingSubs.some((s) => s.events < told && !s.error) && Date.now() < until)
          await new Promise((r) => setTimeout(r, 20));
        toldMs = Date.now() - t0;
      }
      const mutationMs = await imported;
      const deadline = Date.now() + 300_000;
      while (subs.some((s) => s.big.length <= k && !s.error) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      const trivial = await stopProbe();
      clearInterval(sampler);
      const used = since(u0, await usage([api.pid!], [base]));
      const got = subs.filter((s) => s.big.length > k);
      phases.push({
        name,
        mutationMs,
        allReceivedMs: Math.max(...got.map((s) => s.big[k] - t0)),
        missing: N - got.length,
        bookings: lat,
        bookingErrors,
        trivial,
        used,
        peakRssMb: peak / 2 ** 20,
        toldMs,
      });
    }
    closing = true;
    for (const s of subs) s.ws.close(1000);
    for (const s of bookingSubs) s.ws.close(1000);
    const errors = [...subs, ...bookingSubs].filter((s) => s.error);
    const notTold = bookingSubs.filter((s) => s.events < B - phases[1].bookingErrors).length;
    const f = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '-');
    console.log(
      `\nfan-out: ${N} subscribers x ${hours} h changes (${a['few-fields'] ? '3 fields' : 'every field'}), ${cpus()[0]?.model.trim()} x ${cpus().length}, load ${loadavg()[0].toFixed(1)}, ${new Date().toISOString()}`,
    );
    console.log(`trivial request before: p50 ${f(pct(idleTrivial, 50))} ms, p99 ${f(pct(idleTrivial, 99))} ms`);
    console.log(
      '| phase | mutation ms | all subscribers had it, ms | missed | bookings p50 / p99 ms | trivial p50 / max ms | API CPU ms | per subscriber | PostgreSQL CPU ms | round trips | API peak RSS MB |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const p of phases)
      console.log(
        `| ${p.name} | ${f(p.mutationMs)} | ${f(p.allReceivedMs)} | ${p.missing} | ${p.bookings.length ? `${f(pct(p.bookings, 50))} / ${f(pct(p.bookings, 99))}${p.bookingErrors ? ` (${p.bookingErrors} errors)` : ''}` : '-'} | ${f(pct(p.trivial, 50))} / ${f(Math.max(...p.trivial))} | ${f(p.used.apiCpuMs)} | ${(p.used.apiCpuMs / N).toFixed(2)} | ${f(p.used.pgCpuMs)} | ${p.used.roundTrips} | ${f(p.peakRssMb)} |`,
      );
    if (M > 0)
      console.log(
        `bookingEvents: ${M} bureau subscribers, ${B} bookings: every subscriber had every booking ${f(phases[1].toldMs)} ms after the phase began (${notTold} did not)`,
      );
    for (const e of errors.slice(0, 3)) log(`subscriber error: ${e.error}`);
    failed =
      api.unexpectedExits.length > 0 ||
      errors.length > 0 ||
      notTold > 0 ||
      phases.some((p) => p.missing > 0 || p.bookingErrors > 0 || p.bookings.length !== (p === phases[1] ? B : 0));
    log(failed ? 'FAIL' : 'PASS: every subscriber had every change, no error, the API stayed up');
  } finally {
    closing = true;
    // a request the API's death cut may fail before its exit is seen: let `died` see it first
    if (failed === undefined) await new Promise((r) => setTimeout(r, 1000));
    await api.stop();
    if (!a.keep) await dropSchema(databaseUrl, schema);
  }
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
