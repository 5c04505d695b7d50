import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import { EXIT } from '../errors.ts';
import { PreparePool } from '../pipeline/prepare-pool.ts';
import { QueueWorker } from '../queue/queue-worker.ts';
import { RedisOutages, redisLabel } from '../queue/redis-connection.ts';

export interface WorkerOptions {
  readonly url: string;
  readonly name: string;
  readonly lockMs: number;
  readonly threads?: number;
}

export interface WorkerIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stderr: NodeJS.WriteStream;
  readonly progressEverySeconds: number;
}

/** How long a stopping worker waits for the jobs in hand before it lets them go back to the queue. */
const DRAIN_MS = 30_000;

/**
 * `docpool worker`: takes jobs until told to stop. Ctrl-C or SIGTERM: no new job, the jobs in hand
 * finish (up to 30 s; their answers go back to the coordinator), then it exits; a second signal,
 * or the drain's end, leaves them to go back to the queue when their claims run out.
 */
export async function runWorker(options: WorkerOptions, io: WorkerIo): Promise<number> {
  const threads = options.threads ?? availableParallelism();
  const pool = new PreparePool({ workers: threads });
  const stop = new AbortController();
  // Every request in flight listens on it: many listeners by design.
  setMaxListeners(0, stop.signal);
  const notify = (message: string) => io.stderr.write(message);
  let exitCode: number = EXIT.ok;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const outages = new RedisOutages(options.url, notify);
  // A refused password stops the worker at once: no job can be taken with it.
  outages.refusal.addEventListener('abort', () => {
    notify(`docpool worker: ${(outages.refusal.reason as Error).message}\n`);
    exitCode = EXIT.aborted;
    finish();
  });
  const worker = new QueueWorker({
    url: options.url,
    queue: options.name,
    pool,
    threads,
    lockMs: options.lockMs,
    env: io.env,
    notify,
    outages,
    stop: stop.signal,
    onUnusable: (error) => {
      notify(`docpool worker: cannot answer this run's files: ${error.message}\n`);
      exitCode = EXIT.usage;
      finish();
    },
  });
  notify(`docpool worker ${worker.id}: taking files from ${redisLabel(options.url)} (queue ${options.name}), ${threads} threads; Ctrl-C stops it\n`);
  const progress = setInterval(() => {
    const beat = worker.stats();
    notify(`docpool worker ${worker.id}: ${beat.done} answered, ${beat.failed} failed, ${beat.inFlight} in hand\n`);
  }, io.progressEverySeconds * 1000);
  let signals = 0;
  const onSignal = () => {
    if (++signals > 1) process.exit(EXIT.interrupted);
    notify(`docpool worker ${worker.id}: stopping: no new files; finishing the ones in hand (Ctrl-C again to leave them to other workers)\n`);
    exitCode = EXIT.interrupted;
    setTimeout(() => stop.abort(), DRAIN_MS).unref();
    finish();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
    await finished;
    await worker.close();
    const beat = worker.stats();
    notify(`docpool worker ${worker.id}: stopped after ${beat.done} answered, ${beat.failed} failed\n`);
    return exitCode;
  } finally {
    clearInterval(progress);
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await pool.close();
  }
}
