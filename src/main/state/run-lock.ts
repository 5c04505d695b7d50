import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StateBusy } from '../errors.ts';

/** Who holds a state folder: enough to name them, and to tell whether they are still alive. */
interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
}

const LOCK_FILE = 'run.lock';

/**
 * One `docpool run` per state folder at a time. Two runs of the same command would both do all
 * the work (paying twice) and interleave the results file; so the first creates `run.lock`
 * exclusively and a second is refused, naming the first's pid and start time. A lock left by a
 * killed process (same host, pid gone) is taken over; `status` and `export` read without it
 * (LMDB serves any number of readers beside one writer).
 */
export class RunLock {
  private constructor(private readonly path: string) {}

  static acquire(dir: string): RunLock {
    const path = join(dir, LOCK_FILE);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        const holder: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
        writeSync(fd, `${JSON.stringify(holder)}\n`);
        closeSync(fd);
        return new RunLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readHolder(path);
      if (holder && isAlive(holder)) {
        throw new StateBusy(
          `--db: another docpool run (pid ${holder.pid}${holder.host === hostname() ? '' : ` on ${holder.host}`}, started ${holder.startedAt.replace('T', ' ').slice(0, 19)} UTC) is using ${dir}; wait for it to finish, or give this run its own --db`,
        );
      }
      // Stale (its process is gone) or unreadable (killed while writing it): take it over. Two
      // takers race on the exclusive create above, and only one wins.
      rmSync(path, { force: true });
    }
    throw new StateBusy(`--db: could not take the run lock of ${dir}; another run is starting there`);
  }

  release(): void {
    const holder = readHolder(this.path);
    if (holder?.pid === process.pid) rmSync(this.path, { force: true });
  }
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    return typeof holder.pid === 'number' && typeof holder.host === 'string' && typeof holder.startedAt === 'string' ? (holder as LockHolder) : undefined;
  } catch {
    return undefined;
  }
}

/** A holder on another host cannot be checked from here, so it is taken as alive (the safe side). */
function isAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
