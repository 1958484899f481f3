// API processes and the PostgreSQL cluster as things a fault test can kill and restart.
// (load-tests/run.ts starts its processes inline; this is the same start-up, plus kill/restart.)
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';

const run = promisify(execFile);

export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
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
    const child = spawn('node', [this.main], { cwd: this.cwd, env: { ...this.env, PORT: String(this.port) }, stdio: ['ignore', fd, fd] });
    this.child = child;
    child.on('exit', (code, signal) => {
      if (!this.expectExit && this.child === child) this.unexpectedExits.push(`API on port ${this.port} (pid ${child.pid}) exited by itself (code ${code}, signal ${signal}); log ${this.logFile}`);
    });
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (child.exitCode !== null) throw new Error(`API on port ${this.port} exited with ${child.exitCode} while starting; log ${this.logFile}`);
      if ((await health(this.base, 1000)).status === 200) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.base}/health not ready after ${timeoutMs} ms`);
  }

  /** kill -9: no drain, no shutdown hook, connections cut mid-request. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    this.expectExit = true;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    this.expectExit = true;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
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
  async up(root: string, dbName: string): Promise<string> {
    const { stdout } = await run(join(root, 'scripts', 'pg-up.sh'), [], {
      env: { ...process.env, DB_NAME: dbName, PG_CLUSTER: this.name, PG_PORT: String(this.port), PG_VERSION: this.version },
    });
    return stdout.trim();
  }
}
