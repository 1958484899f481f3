import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDataSourceOptions, permanentConnectError, persistenceConfigFromEnv, startFailure } from './data-source';
import { DataDirError } from './data-dir-lock';
import { LOCK_FILE, lockDataDir } from './data-dir-lock';

describe('a PGlite data folder belongs to one process', () => {
  it('refuses a folder another running process holds, naming it; takes over a stale lock; lets its own process in again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pflex-lock-'));
    // the test runner's parent process runs: a folder it held is in use
    writeFileSync(join(dir, LOCK_FILE), `${process.ppid}\n`);
    expect(() => lockDataDir(dir)).toThrow(`PFLEX_DATA_DIR ${dir} is in use by process ${process.ppid}`);
    // a pid no process has: a lock left by a process that was killed
    writeFileSync(join(dir, LOCK_FILE), '2147483646\n');
    lockDataDir(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
    // this process again (the API opened, closed and opened again): allowed
    lockDataDir(dir);
  });

  it('of processes locking one folder at the same moment, exactly one gets it: on a fresh folder and over a stale lock', async () => {
    // each child waits for the same instant, tries, says whether it got the folder, and holds it a moment
    const race = (dir: string, at: number) =>
      new Promise<string>((resolve) => {
        const script = `const { lockDataDir } = require(${JSON.stringify(join(__dirname, 'data-dir-lock.ts'))}); while (Date.now() < ${at}); let r = 'got'; try { lockDataDir(${JSON.stringify(dir)}); } catch { r = 'refused'; } process.stdout.write(r); setTimeout(() => {}, 300);`;
        const c = spawn(process.execPath, ['-r', require.resolve('tsx/cjs'), '-e', script], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        c.stdout.on('data', (d: Buffer) => (out += d.toString()));
        c.on('exit', () => resolve(out));
      });
    for (let round = 0; round < 10; round++) {
      const dir = mkdtempSync(join(tmpdir(), 'pflex-lock-race-'));
      if (round % 2 === 1) writeFileSync(join(dir, LOCK_FILE), '2147483646\n');
      const at = Date.now() + 1200;
      const got = (await Promise.all(Array.from({ length: 4 }, () => race(dir, at)))).filter((r) => r === 'got');
      expect({ round, got: got.length }).toEqual({ round, got: 1 });
    }
  }, 60_000);

  it('a second process opening a folder in use stops at start with that message; the first one exiting frees it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pflex-lock-'));
    // a child holds the folder until its stdin closes
    const script = `require(${JSON.stringify(join(__dirname, 'data-dir-lock.ts'))}).lockDataDir(${JSON.stringify(dir)}); process.stdout.write('held\\n'); process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`;
    const child = spawn(process.execPath, ['-r', require.resolve('tsx/cjs'), '-e', script], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await expect(createDataSourceOptions({ dataDir: dir })).rejects.toThrow(`is in use by process ${child.pid}`);
    child.stdin.end();
    await new Promise((resolve) => child.once('exit', resolve));
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  }, 30_000);

  it('a folder that cannot be opened is refused with its path and the cause', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pflex-bad-'));
    writeFileSync(join(dir, 'PG_VERSION'), 'not a database\n');
    await expect(createDataSourceOptions({ dataDir: dir })).rejects.toThrow(
      `cannot open the PGlite database in PFLEX_DATA_DIR ${dir}`,
    );
    // files but no database (a folder restored in part, another program's): refused, not made a new
    // database over them (PGlite would, and every booking the folder held would be out of reach)
    for (const files of [['notes.txt'], ['base/1/1259', 'global/pg_control', 'postgresql.conf']]) {
      const held = mkdtempSync(join(tmpdir(), 'pflex-held-'));
      for (const f of files) {
        mkdirSync(join(held, f, '..'), { recursive: true });
        writeFileSync(join(held, f), 'x');
      }
      await expect(createDataSourceOptions({ dataDir: held })).rejects.toThrow(
        `PFLEX_DATA_DIR ${held} holds files (${files[0].split('/')[0]}`,
      );
      expect(
        readdirSync(held)
          .filter((f) => !f.startsWith(LOCK_FILE))
          .sort(),
      ).toEqual([...new Set(files.map((f) => f.split('/')[0]))].sort());
    }
    // an empty folder is a new database
    const fresh = mkdtempSync(join(tmpdir(), 'pflex-fresh-'));
    await expect(createDataSourceOptions({ dataDir: fresh })).resolves.toBeDefined();
    if (process.getuid?.() !== 0) {
      const ro = mkdtempSync(join(tmpdir(), 'pflex-ro-'));
      chmodSync(ro, 0o555);
      await expect(createDataSourceOptions({ dataDir: ro })).rejects.toThrow(`cannot write to PFLEX_DATA_DIR ${ro}`);
    }
  }, 30_000);
});

describe('database settings from the environment', () => {
  it('DB_POOL_SIZE and DB_STATEMENT_TIMEOUT_MS are whole numbers in range, checked whichever database is used', () => {
    const pg = { DATABASE_URL: 'postgres://x@localhost/db' };
    expect(persistenceConfigFromEnv(pg)).toMatchObject({ poolSize: 10, statementTimeoutMs: 5000 });
    expect(persistenceConfigFromEnv({ ...pg, DB_POOL_SIZE: '3', DB_STATEMENT_TIMEOUT_MS: '1500' })).toMatchObject({
      poolSize: 3,
      statementTimeoutMs: 1500,
    });
    for (const [k, v] of [
      ['DB_POOL_SIZE', '-2'],
      ['DB_POOL_SIZE', '1'],
      ['DB_POOL_SIZE', '0'],
      ['DB_POOL_SIZE', 'x'],
      ['DB_POOL_SIZE', '0x10'],
      ['DB_STATEMENT_TIMEOUT_MS', 'abc'],
      ['DB_STATEMENT_TIMEOUT_MS', '1e3'],
      ['DB_STATEMENT_TIMEOUT_MS', '50'],
    ]) {
      expect(() => persistenceConfigFromEnv({ ...pg, [k]: v })).toThrow(`${k} must be an integer in`);
      expect(() => persistenceConfigFromEnv({ [k]: v })).toThrow(`${k} must be an integer in`);
    }
  });

  it('DATABASE_URL is a PostgreSQL URL with a host (or a socket folder), said without echoing it', () => {
    for (const ok of [
      'postgres://u:p@db:5432/x',
      'postgresql://u@10.0.0.1/x?sslmode=require',
      'postgres:///x?host=/var/run/postgresql',
    ])
      expect(persistenceConfigFromEnv({ DATABASE_URL: ok }).url).toBe(ok);
    expect(() => persistenceConfigFromEnv({ DATABASE_URL: 'notaurl' })).toThrow(
      'DATABASE_URL must be a PostgreSQL URL such as postgres://user:password@host:5432/database, got something that is not a URL',
    );
    expect(() => persistenceConfigFromEnv({ DATABASE_URL: 'mysql://u:secret@db/x' })).toThrow(/got a mysql: URL$/);
    expect(() => persistenceConfigFromEnv({ DATABASE_URL: 'postgres:///x' })).toThrow(/got a URL without a host$/);
  });

  it('a refused password or a missing database is final at start (named with DATABASE_URL, no password); other errors may pass', () => {
    const url = 'postgres://pflex:secret@db.internal:6543/market';
    const err = (code: string, message: string) => Object.assign(new Error(message), { code });
    expect(permanentConnectError(err('28P01', 'password authentication failed for user "pflex"'), url)).toBe(
      'cannot use DATABASE_URL (db.internal:6543/market as pflex): password authentication failed for user "pflex"',
    );
    expect(permanentConnectError(err('3D000', 'database "market" does not exist'), url)).toMatch(
      /^cannot use DATABASE_URL/,
    );
    expect(permanentConnectError(err('28000', 'no pg_hba.conf entry'), url)).not.toContain('secret');
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', '57P03', '53300'])
      expect(permanentConnectError(err(code, 'not yet'), url)).toBeNull();
    expect(permanentConnectError(err('28P01', 'x'), undefined)).toBeNull();
  });

  it('a failure at start a user can act on is one line naming the setting; anything else is not (its stack is printed)', () => {
    const url = 'postgres://pflex:secret@db.internal:6543/market';
    const err = (code: string, message: string) => Object.assign(new Error(message), { code });
    expect(startFailure(err('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:6543'), url)).toBe(
      'cannot reach DATABASE_URL (db.internal:6543/market as pflex), waited for it and gave up: connect ECONNREFUSED 10.0.0.5:6543',
    );
    expect(startFailure(err('28P01', 'password authentication failed'), url)).toMatch(/^cannot use DATABASE_URL/);
    expect(startFailure(new DataDirError('PFLEX_DATA_DIR /x is in use by process 7'), undefined)).toBe(
      'PFLEX_DATA_DIR /x is in use by process 7',
    );
    expect(startFailure(new TypeError('x is not a function'), url)).toBeNull();
    expect(startFailure(err('ECONNREFUSED', 'refused'), undefined)).toBeNull();
  });
});
