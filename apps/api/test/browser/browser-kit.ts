/**
 * Shared by the browser tests (run by scripts/browser-test.sh after `npm run build`): starts the
 * built API with its demo data on an ephemeral port (PGlite in a temporary folder, or a fresh
 * schema of DATABASE_URL) and stops it again; GraphQL calls, checks and page helpers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Page } from 'playwright-core';

export const ROOT = resolve(__dirname, '../../../..');
export const RESULTS = resolve(process.env.BROWSER_RESULTS_DIR ?? join(ROOT, 'test-results', 'browser'));
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const HOUR = 3_600_000;
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface Server {
  url: string;
  keys: { startup: string; operator: string; bureau: string };
  stop(): Promise<void>;
}

/** Starts dist/apps/api/src/main.js and reads its URL (stdout JSON log) and demo keys (stderr banner). */
export async function startServer(extraEnv: NodeJS.ProcessEnv = {}): Promise<Server> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pflex-browser-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    PFLEX_DEMO_SEED: '1',
    NODE_ENV: 'development',
    PFLEX_DATA_DIR: join(dataDir, 'pglite'),
  };
  const schema = process.env.DATABASE_URL ? `t_browser_${randomBytes(5).toString('hex')}` : undefined;
  if (schema) env.DATABASE_SCHEMA = schema;
  Object.assign(env, extraEnv);
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'dist/apps/api/src/main.js')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keys: Partial<Server['keys']> = {};
  let url = '';
  const ready = new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error('the API did not start within 120 s')), 120_000);
    const check = () => {
      if (url && keys.startup && keys.operator && keys.bureau) {
        clearTimeout(timer);
        resolveReady();
      }
    };
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const rec = JSON.parse(line) as { msg?: string; url?: string };
        if (rec.msg === 'pflex api listening' && rec.url) url = rec.url;
      } catch {
        // not a log record
      }
      check();
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      const m = /^\s*(startup|operator|bureau)\s*:\s*(\S+)/.exec(line);
      if (m) keys[m[1] as keyof Server['keys']] = m[2];
      else if (line.trim()) process.stderr.write(`[api] ${line}\n`);
      check();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the API exited with code ${code} before it was ready`));
    });
  });
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
    if (schema) await dropSchema(process.env.DATABASE_URL!, schema);
  };
  try {
    await ready;
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, keys: keys as Server['keys'], stop };
}

async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export async function gql<T>(url: string, key: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length || !body.data) throw new Error(`GraphQL call failed: ${JSON.stringify(body.errors ?? body)}`);
  return body.data;
}

export const results = { passed: 0, failed: 0 };
export async function check(name: string, fn: () => Promise<void>): Promise<void> {
  const t0 = Date.now();
  try {
    await fn();
    results.passed++;
    console.log(`  ✓ ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.failed++;
    console.log(
      `  ✗ ${name}\n    ${String((e as Error).stack ?? e)
        .split('\n')
        .slice(0, 6)
        .join('\n    ')}`,
    );
  }
}

export function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

export interface ChartSummary {
  canvases: number;
  series: { name: string; type: string; points: number; max: number }[];
}

/**
 * Evaluates an expression in the page. Page code is written as source text: this file is type
 * checked without the DOM library, and tsx (esbuild) would wrap compiled callbacks with helpers
 * that the page lacks.
 */
export async function inPage<T>(page: Page, expression: string): Promise<T> {
  return await page.evaluate(expression);
}

/**
 * Waits until an expression is truthy in the page, polling from here: Playwright's
 * waitForFunction evaluates its string with eval inside the page, which the CSP refuses.
 */
export async function waitForTrue(page: Page, expression: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await inPage<boolean>(page, `Boolean(${expression})`)) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Reads an ECharts instance's series through the page's own echarts global. */
export async function chartSummary(page: Page, selector: string): Promise<ChartSummary | null> {
  const src = `(() => {
    const el = document.querySelector(${JSON.stringify(selector)});
    const inst = el && window.echarts && window.echarts.getInstanceByDom(el);
    if (!inst) return null;
    const value = (d) => (Array.isArray(d) ? Number(d[d.length - 1]) : Number(d));
    return {
      canvases: el.querySelectorAll('canvas').length,
      series: inst.getOption().series.map((s) => ({ name: s.name, type: s.type, points: s.data.length, max: s.data.reduce((m, d) => Math.max(m, value(d)), 0) })),
    };
  })()`;
  return inPage<ChartSummary | null>(page, src);
}
