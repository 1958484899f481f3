// The processes under test, for the load runner and the fault runner alike: PostgreSQL (the
// machine's cluster through scripts/pg-up.sh, or a cluster of its own that a fault test stops and
// starts), the API build, and API processes on free ports that can be stopped, killed and restarted.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { request } from 'undici';

const run = promisify(execFile);

/** A run's id from the clock, `20261128-193000`: names its results folder and its schema. */
export function newRunId(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}

export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * `n` ports from `base` on, skipping any that something else already listens on (otherwise
 * /health could be answered by another program and the run would measure it).
 */
export async function freePorts(base: number, n: number): Promise<number[]> {
  const ports: number[] = [];
  for (let p = base; ports.length < n && p < base + 100; p++) if (await portFree(p)) ports.push(p);
  if (ports.length < n) throw new Error(`no ${n} free ports from ${base}`);
  return ports;
}

/** `npm run build` unless `build` is false; the compiled API's entry point (it must exist). */
export function buildApi(root: string, build: boolean, log: (m: string) => void): string {
  if (build) {
    log('npm run build');
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  }
  const main = join(root, 'dist', 'apps', 'api', 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} does not exist: the API is not built`);
  return main;
}

/**
 * The environment of API processes under load: production mode on the run's schema, a bureau
 * key for setup, no rate limit (the load generator drives a few keys far beyond a client's fair
 * share; rate limiting has its own tests), quiet logs. `extra` adds or overrides variables.
 */
export function apiEnv(
  c: { databaseUrl: string; schema: string; bureauKey: string },
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: c.databaseUrl,
    DATABASE_SCHEMA: c.schema,
    DB_POOL_SIZE: process.env.DB_POOL_SIZE ?? '16',
    RATE_LIMIT_PER_MINUTE: process.env.RATE_LIMIT_PER_MINUTE ?? '0',
    BUREAU_API_KEY: c.bureauKey,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    ...extra,
  };
}

/** The first process alone runs the migrations at start-up; the others then find them done. */
export async function startAll(apis: ApiProcess[]): Promise<void> {
  if (apis.length === 0) return;
  await apis[0].start();
  await Promise.all(apis.slice(1).map((a) => a.start()));
}

/** GET /health with a bound; the status (0 when nothing answered) and how long it took. */
export async function health(base: string, timeoutMs = 5000): Promise<{ status: number; ms: number }> {
  const t0 = Date.now();
  try {
    const r = await request(`${base}/health`, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    await r.body.dump();
    return { status: r.statusCode, ms: Date.now() - t0 };
  } catch {
    return { status: 0, ms: Date.now() - t0 };
  }
}

/** One API process (`node dist/apps/api/src/main.js`) on a fixed port, restartable on that port. */
export class ApiProcess {
  child?: ChildProcess;
  /** Exits nobody asked for (a crash): any entry fails the fault run. */
  readonly unexpectedExits: string[] = [];
  private expectExit = false;

  constructor(
    readonly port: number,
    private readonly main: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly logFile: string,
    private readonly cwd: string,
    /** node flags, e.g. the production heap bound */
    private readonly nodeArgs: string[] = [],
    /** told at once of an exit nobody asked for */
    private readonly onUnexpectedExit?: (message: string) => void,
  ) {}

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process and waits until /health answers 200. */
  async start(timeoutMs = 60_000): Promise<void> {
    this.expectExit = false;
    const fd = openSync(this.logFile, 'a');
    const child = spawn('node', [...this.nodeArgs, this.main], {
      cwd: this.cwd,
      env: { ...this.env, PORT: String(this.port) },
      stdio: ['ignore', fd, fd],
    });
    this.child = child;
    child.on('exit', (code, signal) => {
      if (this.expectExit || this.child !== child) return;
      const message = `API on port ${this.port} (pid ${child.pid}) exited by itself (code ${code}, signal ${signal}); log ${this.logFile}`;
      this.unexpectedExits.push(message);
      this.onUnexpectedExit?.(message);
    });
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (child.exitCode !== null)
        throw new Error(`API on port ${this.port} exited with ${child.exitCode} while starting; log ${this.logFile}`);
      if ((await health(this.base, 1000)).status === 200) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.base}/health not ready after ${timeoutMs} ms`);
  }

  /** kill -9: no drain, no shutdown hook, connections cut mid-request. */
  kill9(): Promise<void> {
    return this.end('SIGKILL');
  }

  /** SIGTERM (drain, then exit), SIGKILL after 10 s. */
  stop(): Promise<void> {
    return this.end('SIGTERM', 10_000);
  }

  private async end(signal: NodeJS.Signals, killAfterMs?: number): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    this.expectExit = true;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    const t = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    await exited;
    clearTimeout(t);
  }
}

/** A PostgreSQL 15 cluster managed with pg_ctlcluster (Debian's postgresql-common). */
export class PgCluster {
  constructor(
    readonly version: string,
    readonly name: string,
    readonly port: number,
  ) {}

  async exists(): Promise<boolean> {
    const { stdout } = await run('pg_lsclusters', ['-h']);
    return stdout.split('\n').some((l) => {
      const [v, c] = l.trim().split(/\s+/);
      return v === this.version && c === this.name;
    });
  }

  /** Creates the cluster if it is missing (a separate cluster: restarting it disturbs no one else). */
  async ensure(): Promise<void> {
    if (!(await this.exists())) await run('pg_createcluster', [this.version, this.name, '--port', String(this.port)]);
  }

  /** Fast shutdown: open sessions are terminated, as in a failover or a crash-restart. */
  async stop(): Promise<void> {
    await run('pg_ctlcluster', [this.version, this.name, 'stop', '-m', 'fast']);
  }

  async start(): Promise<void> {
    await run('pg_ctlcluster', [this.version, this.name, 'start']);
  }

  /** The DATABASE_URL of a role and database on this cluster (created by scripts/pg-up.sh if missing). */
  up(root: string, dbName: string): Promise<string> {
    return pgUp(root, { DB_NAME: dbName, PG_CLUSTER: this.name, PG_PORT: String(this.port), PG_VERSION: this.version });
  }
}

/**
 * scripts/pg-up.sh: starts PostgreSQL if needed, creates the role and database named in `env`
 * (DB_NAME; PG_CLUSTER, PG_PORT, PG_VERSION for a cluster other than the machine's) and returns
 * their DATABASE_URL.
 */
export async function pgUp(root: string, env: NodeJS.ProcessEnv): Promise<string> {
  const { stdout, stderr } = await run(join(root, 'scripts', 'pg-up.sh'), [], { env: { ...process.env, ...env } });
  if (stderr) process.stderr.write(stderr);
  return stdout.trim();
}

/** Drops a run's schema and everything in it. */
export async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await c.end();
  }
}
