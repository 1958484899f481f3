// The faults themselves, each injected during a booking storm (or, for the round, a clearing)
// and judged by the harness: kill -9 of API processes, a PostgreSQL restart, locks held by
// another session, kill -9 of the process clearing a round.
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { health } from '../lib/processes';
import { check, faultClusters, log, runFault, sleep, type FaultRun, type Window } from './harness';
import { killDuringClearing } from './round-fault';

/** 1. kill -9 API processes mid-storm, restart them. */
export async function faultKill(f: FaultRun): Promise<void> {
  const { o, apis } = f;
  const kills = o.short ? [0.3] : [0.15, 0.45, 0.75];
  const downMs = o.short ? 1000 : 3000;
  const killDid: string[] = [];
  await runFault(f, `kill -9 API x${kills.length}`, 11, killDid, async (at, t) => {
    const windows: Window[] = [];
    for (let k = 0; k < kills.length; k++) {
      await at(kills[k] * o.duration);
      const victim = (k + 1) % apis.length;
      const a = apis[victim];
      const from = performance.now();
      const pid = a.pid;
      await a.kill9();
      killDid.push(`${t(from)} kill -9 pid ${pid} (port ${a.port})`);
      await sleep(downMs);
      const r0 = performance.now();
      await a.start();
      killDid.push(
        `${t(r0)} restarted on port ${a.port} (pid ${a.pid}), /health 200 after ${((performance.now() - r0) / 1000).toFixed(1)} s`,
      );
      // Requests to the dead process fail to connect: the client's network error, nothing else.
      windows.push({ kind: 'kill', target: victim, from, to: performance.now() + 500, codes: new Set(['NETWORK']) });
    }
    return windows;
  });
}

/** 2. PostgreSQL restart mid-storm; every process must answer /health 503 while it is down, 200 after. */
export async function faultPg(f: FaultRun): Promise<void> {
  const { o, pg, targets, deadlineMs } = f;
  const outages = o.short
    ? [{ at: 0.3, ms: 3000 }]
    : [
        { at: 0.2, ms: 10_000 },
        { at: 0.7, ms: 3000 },
      ];
  const pgDid: string[] = [];
  const healthSeen = { polls: 0, s503: 0, other: 0, maxMs: 0, noAnswer: 0, recoveredMs: [] as number[] };
  const missing503: string[] = [];
  await runFault(
    f,
    `PostgreSQL restart x${outages.length}`,
    12,
    pgDid,
    async (at, t) => {
      const windows: Window[] = [];
      for (const out of outages) {
        await at(out.at * o.duration);
        const from = performance.now();
        f.pgStopped = true;
        await pg.stop();
        pgDid.push(
          `${t(from)} pg_ctlcluster ${pg.version} ${pg.name} stop -m fast (done in ${((performance.now() - from) / 1000).toFixed(1)} s)`,
        );
        // While the database is down, every process must answer /health with 503, promptly.
        const seen503 = new Set<number>();
        let polling = true;
        const poller = (async () => {
          while (polling) {
            await Promise.all(
              targets.map(async (b, i) => {
                const h = await health(b, deadlineMs);
                healthSeen.polls++;
                healthSeen.maxMs = Math.max(healthSeen.maxMs, h.ms);
                if (h.status === 503) {
                  healthSeen.s503++;
                  seen503.add(i);
                } else if (h.status === 0) healthSeen.noAnswer++;
                else if (h.status !== 200) healthSeen.other++;
              }),
            );
            await sleep(200);
          }
        })();
        await sleep(out.ms);
        const s0 = performance.now();
        await pg.start();
        f.pgStopped = false;
        polling = false;
        await poller;
        for (let i = 0; i < targets.length; i++)
          if (!seen503.has(i)) missing503.push(`${targets[i]} never answered /health 503 while PostgreSQL was down`);
        pgDid.push(`${t(s0)} pg_ctlcluster start after ${(out.ms / 1000).toFixed(0)} s down`);
        // Reconnected by itself: every process answers /health 200 again without being touched.
        let recovered = 0;
        while (!recovered && performance.now() - s0 < 30_000) {
          const hs = await Promise.all(targets.map((b) => health(b, 2000)));
          if (hs.every((h) => h.status === 200)) recovered = performance.now();
          else await sleep(100);
        }
        if (!recovered) missing503.push('an API process did not report ready within 30 s of PostgreSQL being back');
        healthSeen.recoveredMs.push(Math.round((recovered || performance.now()) - s0));
        pgDid.push(
          `${t(recovered || undefined)} all ${targets.length} API processes /health 200 again (${((recovered - s0) / 1000).toFixed(1)} s after start)`,
        );
        windows.push({
          kind: 'pg',
          from,
          to: (recovered || performance.now()) + 1000,
          codes: new Set(['SERVICE_UNAVAILABLE', 'TIMEOUT']),
        });
      }
      return windows;
    },
    () =>
      `/health while down: ${healthSeen.s503}/${healthSeen.polls} polls 503, ${healthSeen.other} other, ${healthSeen.noAnswer} unanswered, max ${healthSeen.maxMs} ms; ready again ${healthSeen.recoveredMs.map((x) => `${(x / 1000).toFixed(1)} s`).join(', ')} after start`,
  );
  {
    f.reports[f.reports.length - 1].problems.push(...missing503);
    if (healthSeen.noAnswer + healthSeen.other > 0)
      f.reports[f.reports.length - 1].problems.push(
        `/health unanswered or not 200/503 ${healthSeen.noAnswer + healthSeen.other} times`,
      );
  }
}

/**
 * 3. a slow database: locks held by another session, past the API's statement/lock timeout, so
 * that waiting requests must time out.
 */
export async function faultLock(f: FaultRun): Promise<void> {
  const { o, databaseUrl, schema, deadlineMs } = f;
  const lockMs = o.dbTimeoutMs + 3000;
  const locks = o.short ? ['table'] : ['table', 'rows'];
  const lockDid: string[] = [];
  await runFault(f, `lock held ${lockMs / 1000} s x${locks.length}`, 13, lockDid, async (at, t) => {
    const windows: Window[] = [];
    for (let k = 0; k < locks.length; k++) {
      await at(((k + 1) / (locks.length + 1) - 0.1) * o.duration);
      const c = new Client({ connectionString: databaseUrl, options: `-c search_path=${schema}` });
      await c.connect();
      const sql =
        locks[k] === 'table'
          ? 'LOCK TABLE cluster_hours IN ACCESS EXCLUSIVE MODE'
          : 'SELECT count(*) FROM (SELECT 1 FROM cluster_hours FOR UPDATE) x';
      // Taking the lock mid-storm can lose a deadlock against a booking: try again.
      for (let attempt = 1; ; attempt++) {
        await c.query('BEGIN');
        try {
          await c.query(sql);
          break;
        } catch (e) {
          await c.query('ROLLBACK');
          if (attempt >= 10) throw e;
        }
      }
      const from = performance.now();
      lockDid.push(`${t(from)} another session: BEGIN; ${sql}`);
      await sleep(lockMs);
      await c.query('COMMIT');
      await c.end();
      const to = performance.now();
      lockDid.push(`${t(to)} COMMIT (lock held ${((to - from) / 1000).toFixed(1)} s)`);
      windows.push({ kind: 'lock', from, to: to + deadlineMs, codes: new Set(['TIMEOUT', 'SERVICE_UNAVAILABLE']) });
    }
    return windows;
  });
}

/** 4. kill -9 the process clearing a round, mid-clearing; restart; cleared exactly once. */
export async function faultRound(f: FaultRun): Promise<void> {
  const { o, apis, bureauKey, startups, horizonStart, horizonHours, databaseUrl, schema, acks, deadlineMs } = f;
  const label = 'kill -9 during a round clearing';
  log(`fault "${label}"`);
  const clusterIds = await faultClusters(f);
  const r = await killDuringClearing({
    apis,
    bureauKey,
    startups,
    clusterIds,
    horizonStart,
    horizonHours,
    requests: o.short ? 3000 : 20000,
    databaseUrl,
    schema,
    log,
  });
  acks.push(...r.acks);
  for (const a of apis) r.problems.push(...a.unexpectedExits.splice(0));
  const invariants = await check(f);
  if (!invariants.every((c) => c.ok)) r.problems.push('invariant checker failed');
  f.reports.push({
    fault: label,
    did: r.did,
    requests: r.requests,
    acknowledged: r.acks.length,
    dropped: 0,
    inFlightAtFault: 1,
    retried: { acknowledged: 0, sameBooking: 0, failedRequests: 0, nowBooked: 0, cleanRefusal: 0 },
    errorsByCode: {},
    refusalsOutsideFault: 0,
    maxLatencyMs: 0,
    maxLatencyInFaultMs: 0,
    deadlineMs,
    problems: r.problems,
    invariants,
  });
  log(
    `fault "${label}": ${r.problems.length ? `${r.problems.length} problem(s)` : 'ok'}; invariants ${invariants.every((c) => c.ok) ? 'PASS' : 'FAIL'}`,
  );
}
