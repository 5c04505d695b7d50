import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { ExpandResult, HashResult, PageRange, PrepareFailed, PrepareResult, PrepareTask } from '../../workers/protocol.ts';
import { mebibytes } from '../config/parsers.ts';
import type { Config } from '../config/schema.ts';

export interface PreparePoolOptions {
  /** Worker threads. Default: available cores. */
  readonly workers?: number;
  /** Deadline per task, from when a thread is free for it; a task past it has its worker terminated. Default 30 000 ms. */
  readonly taskTimeoutMs?: number;
}

export interface PreparePoolStats {
  readonly workers: number;
  readonly inPool: number;
  readonly completed: number;
  readonly timeouts: number;
  readonly crashes: number;
  /** Share of thread time spent on tasks since the pool started, 0..1. */
  readonly utilisation: number;
}

/**
 * The Piscina pool that runs prepare tasks. `prepare()` never rejects: a hung task becomes
 * PDF_TIMEOUT (Piscina terminates and replaces the worker when a running task is aborted) and a
 * dead worker becomes WORKER_CRASHED, so one bad file can never end a run. A task whose thread
 * died under it (killed by its own file, or retired because another file broke its PDF engine) is
 * prepared once more on a fresh thread, so a bystander never fails for another file.
 */
export class PreparePool {
  readonly #pool: Piscina;
  readonly #timeoutMs: number;
  readonly #capacity: number;
  readonly #waiting: Array<() => void> = [];
  #inPool = 0;
  #completed = 0;
  #timeouts = 0;
  #crashes = 0;
  #busyMs = 0;
  readonly #created = performance.now();
  readonly #workers: number;

  /** The pool a run or an estimate uses: one thread per configured worker, the configured deadline. */
  static forConfig(config: Pick<Config, 'workers' | 'taskTimeoutMs'>): PreparePool {
    return new PreparePool({ workers: config.workers, taskTimeoutMs: config.taskTimeoutMs });
  }

  constructor(options: PreparePoolOptions = {}) {
    const workers = options.workers ?? availableParallelism();
    this.#workers = workers;
    this.#timeoutMs = options.taskTimeoutMs ?? 30_000;
    // A task is handed to Piscina only when a thread is free for it, so its deadline runs from when
    // it can start: a quick file queued behind two slow ones is not timed out before it ran. Callers
    // wait here (a resolver each), bounded by their own in-flight window.
    this.#capacity = workers;
    this.#pool = new Piscina({
      filename: workerEntryUrl().href,
      // Threads start on demand: a re-run where every file is unchanged never pays for booting
      // them (loader + WASM, ~0.5 s of CPU each, which on 2 cores slows the main thread).
      minThreads: 0,
      maxThreads: workers,
      maxQueue: this.#capacity,
      idleTimeout: 60_000,
    });
  }

  /** `stop`: once aborted, a task still waiting for room is never started (its reason is thrown). */
  prepare(task: PrepareTask, stop?: AbortSignal): Promise<PrepareResult> {
    return this.#run<PrepareResult>(task, 'default', stop);
  }

  /** The file's content hash alone (read and hash in a worker thread; no PDF work). */
  hash(task: PrepareTask, stop?: AbortSignal): Promise<HashResult> {
    return this.#run<HashResult>(task, 'hash', stop);
  }

  /** A ZIP's or a mail's parts, listed in a worker thread (inflating and hashing are CPU work). */
  expand(task: PrepareTask, stop?: AbortSignal): Promise<ExpandResult> {
    return this.#run<ExpandResult>(task, 'expand', stop);
  }

  async #run<T extends PrepareResult | HashResult | ExpandResult>(task: PrepareTask, name: string, stop?: AbortSignal): Promise<T> {
    while (this.#inPool >= this.#capacity) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    if (stop?.aborted) {
      this.#waiting.shift()?.(); // the room it was woken for goes to the next
      throw stop.reason;
    }
    this.#inPool++;
    const started = performance.now();
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return (await this.#pool.run(task, { name, signal: AbortSignal.timeout(this.#timeoutMs) })) as T;
        } catch (error) {
          const failure = this.#failure(error, performance.now() - started);
          if (failure.code !== 'WORKER_CRASHED' || attempt > 1) return failure as T;
        }
      }
    } finally {
      // Submission-to-result time: close to busy time because the queue is kept short.
      this.#busyMs += performance.now() - started;
      this.#inPool--;
      this.#completed++;
      this.#waiting.shift()?.();
    }
  }

  /** Runs a named diagnostic export of the worker entry (used by tests). */
  runDiagnostic(name: string): Promise<unknown> {
    return this.#pool.run(null, { name });
  }

  stats(): PreparePoolStats {
    return {
      workers: this.#pool.threads.length,
      inPool: this.#inPool,
      completed: this.#completed,
      timeouts: this.#timeouts,
      crashes: this.#crashes,
      utilisation: Math.min(1, this.#busyMs / (this.#workers * (performance.now() - this.#created) || 1)),
    };
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
  }

  #failure(error: unknown, ms: number): PrepareFailed {
    const elapsed = Math.round(ms);
    if (error instanceof Error && error.name === 'AbortError') {
      this.#timeouts++;
      return {
        kind: 'failed',
        code: 'PDF_TIMEOUT',
        message: `processing took longer than ${this.#timeoutMs} ms; the worker was stopped and replaced`,
        ms: elapsed,
      };
    }
    this.#crashes++;
    const reason = error instanceof Error ? error.message : String(error);
    return { kind: 'failed', code: 'WORKER_CRASHED', message: `the worker thread died on this file (${reason}); it was replaced`, ms: elapsed };
  }
}

/**
 * The prepare task for one file under a config: `run` builds the page subset to send, `estimate`
 * does not; the offline rules read the text in the worker when the answer (or the estimate) needs them.
 */
export function prepareTask(
  config: Pick<Config, 'pages' | 'maxFileMb'>,
  path: string,
  needs: {
    readonly subset: boolean;
    readonly rules: boolean;
    readonly ocr?: boolean;
    readonly eInvoice?: boolean;
    readonly part?: string;
    /** One document of several in the file: its pages. */
    readonly range?: PageRange;
    /** Look at a file of more pages than this for several documents. */
    readonly splitAbove?: number;
  },
): PrepareTask {
  return {
    path,
    ...(needs.part === undefined ? {} : { part: needs.part }),
    ...(needs.range ? { range: needs.range } : needs.splitAbove !== undefined ? { split: { minPages: needs.splitAbove } } : {}),
    pageWindow: config.pages,
    maxFileBytes: mebibytes(config.maxFileMb),
    buildSubset: needs.subset,
    readRules: needs.rules,
    ...(needs.ocr ? { ocr: true } : {}),
    ...(needs.eInvoice ? { readEInvoice: true } : {}),
  };
}

/**
 * Under tsx (development, tests) the source is `.ts` and workers need the loader registered by
 * dev-entry.mjs; the built package runs the compiled entry directly.
 */
function workerEntryUrl(): URL {
  return import.meta.url.endsWith('.ts') ? new URL('../../workers/dev-entry.mjs', import.meta.url) : new URL('../../workers/prepare-entry.js', import.meta.url);
}
