import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file in a PGlite data folder that names the process using it. */
export const LOCK_FILE = 'pflex.lock';

const held = new Set<string>();

/** A PGlite data folder that cannot be used (in use by another process, not writable, not a pflex database): its message says which and why. */
export class DataDirError extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, under another user
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Claims a PGlite data folder for this process. PGlite is one process's database: a second
 * process opening the same files would keep its own copy in memory and write over the first's
 * (bookings acknowledged by one would be lost, a cluster overbooked), so it is refused at start,
 * naming the process that holds the folder. A lock left by a process that no longer runs (killed,
 * a container restarted) is taken over. Released when this process exits.
 */
export function lockDataDir(dir: string): void {
  const file = join(dir, LOCK_FILE);
  if (held.has(file)) return;
  // the pid goes into a file of our own first, then is linked into place: the lock appears with
  // its content or not at all (a lock read while its creator had not written the pid yet looked
  // stale, and two processes both held the folder)
  const mine = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(mine, `${process.pid}\n`, { flag: 'wx' });
  } catch (e) {
    throw new DataDirError(`cannot write to PFLEX_DATA_DIR ${dir}: ${(e as Error).message}`, { cause: e });
  }
  try {
    for (let attempt = 0; attempt < 200; attempt++) {
      try {
        linkSync(mine, file);
        held.add(file);
        if (held.size === 1) process.once('exit', releaseAll);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
          throw new DataDirError(`cannot write to PFLEX_DATA_DIR ${dir}: ${(e as Error).message}`, { cause: e });
      }
      const pid = pidIn(file);
      if (pid === undefined) continue; // gone meanwhile
      // the same pid: this process (opened again) or a container's pid 1 restarted: ours
      if (pid > 0 && pid !== process.pid && alive(pid))
        throw new DataDirError(
          `PFLEX_DATA_DIR ${dir} is in use by process ${pid}: PGlite is one process's database, so give each process its own data folder (or use PostgreSQL, DATABASE_URL, for several); if no pflex process runs there, delete ${file}`,
        );
      if (!removeStale(file, pid)) Atomics.wait(PAUSE, 0, 0, 20);
    }
  } finally {
    unlinkSync(mine);
  }
  throw new DataDirError(`cannot lock PFLEX_DATA_DIR ${dir}: ${file} keeps coming back`);
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * Removes a stale lock (naming `pid`, a process that no longer runs), if this process wins the
 * takeover file: only its holder removes a lock, after reading it again, so a process that read
 * the stale pid before another took the folder over cannot remove the new lock. False when another
 * process is taking over (try again shortly). A takeover file left by a process killed in these
 * few statements is given up after 10 s.
 */
function removeStale(file: string, pid: number): boolean {
  const takeover = `${file}.takeover`;
  try {
    writeFileSync(takeover, `${process.pid}\n`, { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    try {
      if (Date.now() - statSync(takeover).mtimeMs > 10_000) unlinkSync(takeover);
    } catch {
      // gone meanwhile
    }
    return false;
  }
  try {
    if (pidIn(file) === pid) unlinkSync(file);
  } finally {
    unlinkSync(takeover);
  }
  return true;
}

/** The pid a lock file names (0 when it names none), undefined when the file is gone. */
function pidIn(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) ? pid : 0;
  } catch {
    return undefined;
  }
}

function releaseAll(): void {
  for (const file of held) {
    try {
      if (Number.parseInt(readFileSync(file, 'utf8'), 10) === process.pid) unlinkSync(file);
    } catch {
      // already gone
    }
  }
  held.clear();
}
