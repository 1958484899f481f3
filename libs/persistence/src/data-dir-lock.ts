import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
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
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      held.add(file);
      if (held.size === 1) process.once('exit', releaseAll);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new DataDirError(`cannot write to PFLEX_DATA_DIR ${dir}: ${(e as Error).message}`, { cause: e });
    }
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    // the same pid: this process (opened again) or a container's pid 1 restarted: ours
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid))
      throw new DataDirError(
        `PFLEX_DATA_DIR ${dir} is in use by process ${pid}: PGlite is one process's database, so give each process its own data folder (or use PostgreSQL, DATABASE_URL, for several); if no pflex process runs there, delete ${file}`,
      );
    unlinkSync(file);
  }
  throw new DataDirError(`cannot lock PFLEX_DATA_DIR ${dir}: ${file} keeps coming back`);
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
