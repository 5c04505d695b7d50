import { closeSync, openSync, readFileSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
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

/** The holder touches the lock this often while it runs: its heartbeat, read from another host. */
const HEARTBEAT_MS = 15_000;
/** A lock from another host untouched this long belongs to a run that is gone (a replaced container on the same volume). */
const STALE_MS = 120_000;

/**
 * One `docpool run` per state folder at a time. Two runs of the same command would both do all
 * the work (paying twice) and interleave the results file; so the first creates `run.lock`
 * exclusively and a second is refused, naming the first's pid, host and start time, and how to
 * take over. A lock left by a killed process is taken over: on this host when its pid is gone or a
 * zombie; from another host (where no pid can be checked) when its heartbeat (the lock's mtime,
 * touched every 15 s) has stopped for two minutes. `status` and `export` read without it (LMDB
 * serves any number of readers beside one writer).
 */
export class RunLock {
  readonly #heartbeat: NodeJS.Timeout;

  private constructor(private readonly path: string) {
    this.#heartbeat = setInterval(() => {
      try {
        utimesSync(path, new Date(), new Date());
      } catch {
        // The folder went away: the run's own writes will say so.
      }
    }, HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  /** `notify` is told when a lock left by a run that is gone is taken over. */
  static acquire(dir: string, notify: (message: string) => void = () => {}): RunLock {
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
      if (holder && isAlive(holder, path)) {
        const elsewhere = holder.host === hostname() ? '' : ` on host ${holder.host}`;
        const takeOver =
          holder.host === hostname()
            ? ''
            : `; if no run uses it any more (a replaced container), its lock goes stale ${STALE_MS / 60_000} minutes after its last heartbeat, or remove ${path} to take over now`;
        throw new StateBusy(
          `--db: another docpool run (pid ${holder.pid}${elsewhere}, started ${holder.startedAt.replace('T', ' ').slice(0, 19)} UTC) is using ${dir}; wait for it to finish, or give this run its own --db${takeOver}`,
        );
      }
      if (holder)
        notify(
          `docpool: took over the state folder's lock, left by pid ${holder.pid} on ${holder.host} (started ${holder.startedAt.replace('T', ' ').slice(0, 19)} UTC), which is no longer running\n`,
        );
      // Stale (its process is gone) or unreadable (killed while writing it): take it over. Two
      // takers race on the exclusive create above, and only one wins.
      rmSync(path, { force: true });
    }
    throw new StateBusy(`--db: could not take the run lock of ${dir}; another run is starting there`);
  }

  release(): void {
    clearInterval(this.#heartbeat);
    const holder = readHolder(this.path);
    if (holder?.pid === process.pid) rmSync(this.path, { force: true });
  }
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    return typeof holder.pid === 'number' && typeof holder.host === 'string' && typeof holder.startedAt === 'string' ? (holder as LockHolder) : undefined;
  } catch {
    return undefined; // gone, or not a lock docpool wrote: no holder to name
  }
}

/**
 * A holder on this host is alive while its pid exists and is not a zombie (a killed run whose
 * parent has not reaped it yet). One on another host cannot be checked: it is alive while its
 * heartbeat is fresh.
 */
function isAlive(holder: LockHolder, path: string): boolean {
  if (holder.host !== hostname()) return Date.now() - lastBeat(path) < STALE_MS;
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(holder.pid);
}

function lastBeat(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0; // gone: as stale as a lock can be
  }
}

/** Linux's /proc/<pid>/stat: the state after the parenthesised command name; elsewhere, not known (false). */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false; // no /proc (not Linux), or no such process: not a zombie
  }
}
