// CPU and memory of the processes under test, read from /proc (Linux), and the API's own count
// of database round trips (pflex_db_round_trips_total on /metrics). Sampled before and after a
// phase, they give CPU ms and round trips per operation on each side, so a reader can project
// the cost of ten or a hundred times the load.
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'undici';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS = 100;

/** user + system CPU of one process so far, ms (0 if it is gone); with `children`, plus that of its reaped children. */
export function cpuMs(pid: number, children = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(f[11]) + Number(f[12]);
    return ((children ? own + Number(f[13]) + Number(f[14]) : own) * 1000) / TICKS;
  } catch {
    return 0;
  }
}

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

/** Resident set size of one process, bytes (0 if it is gone). */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Every PostgreSQL server process on the machine (postmaster, backends, background workers). */
export function postgresPids(): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'postgres') out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Round trips to the database reported by the API processes so far. */
export async function roundTrips(targets: string[]): Promise<number> {
  let n = 0;
  for (const t of targets) {
    const r = await request(`${t}/metrics`);
    const text = await r.body.text();
    const m = /^pflex_db_round_trips_total (\S+)$/m.exec(text);
    if (m) n += Number(m[1]);
  }
  return n;
}

export interface Usage {
  apiCpuMs: number;
  pgCpuMs: number;
  roundTrips: number;
}

/** A snapshot of CPU (API processes, all PostgreSQL processes) and round trips. */
export async function usage(apiPids: number[], targets: string[]): Promise<Usage> {
  // backends come and go with the pools: those alive now, plus what exited ones used (added to
  // the postmaster's children time when it reaped them)
  const pids = postgresPids();
  const all = new Set(pids);
  const pg = pids.reduce((a, p) => a + cpuMs(p, !all.has(parentOf(p))), 0);
  return { apiCpuMs: apiPids.reduce((a, p) => a + cpuMs(p), 0), pgCpuMs: pg, roundTrips: await roundTrips(targets) };
}

export function since(a: Usage, b: Usage): Usage {
  return { apiCpuMs: b.apiCpuMs - a.apiCpuMs, pgCpuMs: b.pgCpuMs - a.pgCpuMs, roundTrips: b.roundTrips - a.roundTrips };
}
