import { hostname } from 'node:os';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { admissionWindow } from '../config/limits.ts';
import { type Config, configFromSettings } from '../config/schema.ts';
import { UsageError } from '../errors.ts';
import { askSteps } from '../pipeline/answer-steps.ts';
import { StepPlan } from '../pipeline/step-plan.ts';
import { type PreparePool, prepareTask } from '../pipeline/prepare-pool.ts';
import { StepResolver, type StepCache } from '../pipeline/step-resolver.ts';
import { loadProfile } from '../profiles/profile.ts';
import { RunStats } from '../progress/run-stats.ts';
import { answerSettings, chooseProvider, fallbackFor, splitAbove } from '../providers/choose-provider.ts';
import { severalDocumentsIn } from '../pipeline/find-documents.ts';
import type { PrepareFailed } from '../../workers/protocol.ts';
import { rangeIdentity } from '../pipeline/split-documents.ts';
import type { StepResult } from '../state/record.ts';
import { unusedEInvoiceNote } from '../pipeline/file-record.ts';
import { type FileJob, type FileJobResult, QUEUE_PROTOCOL, quotaPrefix, REDIS_PREFIX, workersKey } from './file-job.ts';
import { GlobalQuota, sharedQuotaFor } from './global-quota.ts';
import { connectRedis, type RedisOutages } from './redis-connection.ts';

export interface QueueWorkerOptions {
  readonly url: string;
  readonly queue: string;
  /** The prepare pool the jobs' PDF work runs in (a coordinator's local worker shares its own). */
  readonly pool: PreparePool;
  /** Worker threads, for the admission window when the run's settings arrive. */
  readonly threads: number;
  /** How long a claim on a job lasts unrenewed: a killed worker's jobs go to another after about this. */
  readonly lockMs: number;
  readonly env: NodeJS.ProcessEnv;
  readonly notify: (message: string) => void;
  readonly outages: RedisOutages;
  /** Aborts every request in flight (a worker told to stop now). */
  readonly stop: AbortSignal;
  /** This worker cannot answer the run's jobs at all (no API key for a Gemini run, say): it stops taking them. */
  readonly onUnusable: (error: UsageError) => void;
}

/** What a worker publishes every few seconds for the coordinator's dashboard. */
export interface WorkerHeartbeat {
  readonly id: string;
  readonly inFlight: number;
  readonly done: number;
  readonly failed: number;
  readonly startedAt: number;
  readonly at: number;
}

/** A run's settings, read once per worker, and what they build. */
interface RunContext {
  readonly config: Config;
  readonly plan: StepPlan;
  readonly stats: RunStats;
}

const HEARTBEAT_MS = 2000;

/**
 * `docpool worker`: takes file jobs from the queue, prepares each in its own Piscina pool, asks
 * Gemini (through limiters whose quota is shared in Redis with every other worker) and returns the
 * answers. It commits nothing: the coordinator validates, commits to LMDB and writes each line.
 */
export class QueueWorker {
  readonly id = `${hostname()}:${process.pid}`;
  readonly #options: QueueWorkerOptions;
  readonly #redis: Redis;
  readonly #quota: GlobalQuota;
  readonly #worker: Worker<FileJob, FileJobResult>;
  readonly #runs = new Map<string, Promise<RunContext>>();
  readonly #startedAt = Date.now();
  readonly #heartbeat: NodeJS.Timeout;
  #inFlight = 0;
  #done = 0;
  #failed = 0;

  constructor(options: QueueWorkerOptions) {
    this.#options = options;
    this.#redis = connectRedis(options.url, options.outages);
    this.#quota = new GlobalQuota(this.#redis, quotaPrefix(options.queue));
    this.#worker = new Worker<FileJob, FileJobResult>(options.queue, (job) => this.#answer(job), {
      // The shared quota, the heartbeats and BullMQ's own commands share one connection (BullMQ makes its blocking one from it).
      connection: this.#redis,
      prefix: REDIS_PREFIX,
      // Recorded on each job it takes (processedBy): which worker held what.
      name: this.id,
      concurrency: 64, // until a run's settings say how many files keep its quota busy
      lockDuration: options.lockMs,
      stalledInterval: options.lockMs,
      // A job whose worker died this many times is failed, not handed out for ever.
      maxStalledCount: 3,
    });
    // Connection trouble is said by RedisOutages; a job's own failure is in its result.
    this.#worker.on('error', () => {});
    this.#heartbeat = setInterval(() => void this.#beat(), HEARTBEAT_MS);
    this.#heartbeat.unref();
    void this.#beat();
  }

  stats(): WorkerHeartbeat {
    return { id: this.id, inFlight: this.#inFlight, done: this.#done, failed: this.#failed, startedAt: this.#startedAt, at: Date.now() };
  }

  /** Takes no new job and waits for those in hand (their answers are returned), then lets go of Redis. */
  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    // With Redis away, a graceful close would wait for it: the jobs in hand go back when their claims lapse.
    await this.#worker.close(this.#options.outages.isDown);
    for (const run of this.#runs.values()) {
      const context = await run.catch(() => undefined); // a run whose settings never came has no provider to close
      await context?.plan.provider.close();
    }
    // Unlisted or not, a worker that stops beating is taken for gone after WORKER_GONE_MS.
    if (!this.#options.outages.isDown) await this.#redis.hdel(workersKey(this.#options.queue), this.id).catch(() => {});
    // BullMQ leaves a connection it was given open (it closes only the blocking one it made from it).
    this.#redis.disconnect();
  }

  async #answer(job: Job<FileJob, FileJobResult>): Promise<FileJobResult> {
    this.#inFlight++;
    try {
      const result = await this.#work(job.data).catch((error: unknown) => {
        // Handed back (BullMQ retries it elsewhere), and this worker takes no more.
        if (error instanceof UsageError) this.#options.onUnusable(error);
        throw error;
      });
      // Stopped now (its requests cancelled): the job goes back for another worker, not failed.
      if (this.#options.stop.aborted && result.kind === 'answered' && !result.answer.ok && result.answer.code === 'INTERRUPTED')
        throw new Error(`worker ${this.id} stopped before answering`);
      if (result.kind === 'failed' || (result.kind === 'answered' && !result.answer.ok)) this.#failed++;
      else if (result.kind === 'answered') this.#done++;
      return result;
    } finally {
      this.#inFlight--;
    }
  }

  async #work(data: FileJob): Promise<FileJobResult> {
    const run = await this.#runFor(data.settings);
    const prepared = await this.#options.pool.prepare(
      prepareTask(run.config, data.path, {
        ...(data.part === undefined ? {} : { part: data.part }),
        subset: run.plan.provider.name === 'gemini',
        rules: run.plan.provider.name === 'offline' || run.plan.fallback !== undefined,
        ocr: run.plan.provider.name === 'offline',
        eInvoice: run.plan.readsEInvoices,
        ...(data.range ? { range: data.range } : run.plan.splitAbove !== undefined ? { splitAbove: run.plan.splitAbove } : {}),
      }),
    );
    if (prepared.kind === 'failed') return failedResult(prepared);
    if (prepared.sha256 !== data.sha256) {
      return {
        kind: 'failed',
        protocol: QUEUE_PROTOCOL,
        code: 'FILE_CHANGED',
        message: 'the file changed between the coordinator reading it and this worker reading it; run again to answer its new content',
        sha256: prepared.sha256,
        bytes: prepared.bytes,
      };
    }
    const cache = new JobCache(data.known);
    const resolver = new StepResolver(cache, run.plan, run.stats);
    const ranges = await severalDocumentsIn({ part: data.part, ...(data.range ? { range: data.range } : {}) }, prepared, run.plan, resolver);
    if (ranges && 'code' in ranges) {
      const message = `finding the documents in its pages: ${ranges.message}`;
      return { kind: 'failed', protocol: QUEUE_PROTOCOL, code: ranges.code, message, sha256: prepared.sha256, bytes: prepared.bytes };
    }
    if (ranges) {
      const { sha256, bytes, pageCount: pages } = prepared;
      return { kind: 'split', protocol: QUEUE_PROTOCOL, sha256, bytes, pages, ranges, fresh: cache.fresh };
    }
    const answer = await askSteps(data.range ? rangeIdentity(prepared.sha256, data.range) : prepared.sha256, prepared, run.plan, resolver);
    const unused = unusedEInvoiceNote(prepared.einvoice);
    return {
      kind: 'answered',
      protocol: QUEUE_PROTOCOL,
      sha256: prepared.sha256,
      bytes: prepared.bytes,
      pages: prepared.pageCount,
      answer,
      ...(unused ? { unusedEInvoice: unused } : {}),
      fresh: cache.fresh,
    };
  }

  /** The provider for a run's settings, built the first time a job of that run arrives. */
  #runFor(key: string): Promise<RunContext> {
    let run = this.#runs.get(key);
    if (!run) {
      run = this.#build(key);
      this.#runs.set(key, run);
      // Settings that could not be read are read again for the next job (Redis may have been away).
      run.catch(() => this.#runs.delete(key));
    }
    return run;
  }

  async #build(key: string): Promise<RunContext> {
    const text = await this.#redis.get(key);
    if (text === null) throw new Error(`the run's settings (${key}) are not in Redis: was the queue flushed? Start the run again`);
    const config = configFromSettings(JSON.parse(text), { workers: this.#options.threads });
    const profile = loadProfile(config.profile);
    const stats = new RunStats();
    const { provider } = chooseProvider(config, profile, {
      env: this.#options.env,
      notify: this.#options.notify,
      stopSignal: this.#options.stop,
      onRetry: () => stats.retried(),
      onAnswer: (step, model, usage) => stats.answered(step, model, usage),
      sharedQuota: (quota) => sharedQuotaFor(this.#quota, quota),
    });
    // As many files in hand as keep this run's quota busy from this machine.
    this.#worker.concurrency = admissionWindow(config, provider.name === 'gemini');
    const fallback = fallbackFor(config, profile, provider);
    return { config, plan: new StepPlan(provider, fallback, profile, config.passes, config.eInvoice, answerSettings(config), splitAbove(config)), stats };
  }

  async #beat(): Promise<void> {
    // A missed beat is the next one's to make; Redis away is said by RedisOutages.
    await this.#redis.hset(workersKey(this.#options.queue), this.id, JSON.stringify(this.stats())).catch(() => {});
  }
}

function failedResult(failed: PrepareFailed): FileJobResult {
  return {
    kind: 'failed',
    protocol: QUEUE_PROTOCOL,
    code: failed.code,
    message: failed.message,
    ...(failed.sha256 ? { sha256: failed.sha256 } : {}),
    ...(failed.bytes === undefined ? {} : { bytes: failed.bytes }),
  };
}

/** A job's step cache: the answers the coordinator sent, and those this worker got from the API. */
class JobCache implements StepCache {
  readonly fresh: Record<string, StepResult> = {};

  constructor(private readonly known: Readonly<Record<string, StepResult>>) {}

  getResult(key: string): StepResult | undefined {
    return this.known[key] ?? this.fresh[key];
  }

  async putResult(key: string, result: StepResult): Promise<void> {
    this.fresh[key] = result;
  }
}
