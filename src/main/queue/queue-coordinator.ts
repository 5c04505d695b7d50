import type { DocumentRef } from '../pipeline/answer-route.ts';
import type { PageRange } from '../../workers/protocol.ts';
import { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.ts';
import type { StepPlan } from '../pipeline/step-plan.ts';
import type { StepFingerprints } from '../providers/provider.ts';
import type { StepResult } from '../state/record.ts';
import { type FileJob, type FileJobResult, jobIdFor, type RemoteOutcome, REDIS_PREFIX, settingsKey, workersKey } from './file-job.ts';
import { raceAbort, unlessAborted } from '../abortable.ts';
import { connectRedis, isCredentialRefusal, type RedisOutages } from './redis-connection.ts';
import { checkResult, readHeartbeat } from './result-check.ts';
import type { WorkerHeartbeat } from './queue-worker.ts';

export interface QueueSnapshot {
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  /** Jobs handed back after their worker stopped renewing its claim (killed, frozen), since the run began. */
  readonly stalled: number;
  readonly workers: readonly WorkerHeartbeat[];
}

export interface CoordinatorOptions {
  readonly url: string;
  readonly queue: string;
  readonly config: Config;
  /** Names the run's settings (one job per content and settings), and checks what workers answer. */
  readonly plan: StepPlan<StepFingerprints>;
  readonly outages: RedisOutages;
  readonly stop: AbortSignal;
  /** Where a worker whose answer is refused is named. */
  readonly notify: (message: string) => void;
}

/** Settings stay in Redis this long after a run last started (a worker of a re-run reads them again). */
const SETTINGS_TTL_S = 30 * 24 * 3600;
/** A waiter checks its job's state itself this often, in case an event was trimmed from the stream. */
const RECHECK_MS = 10_000;
/** Attempts of a job whose worker threw (not a file's failure: those are results). */
const JOB_ATTEMPTS = 3;
/** How often the dashboard's view of the queue and its workers is refreshed. */
const WATCH_MS = 2000;
/** A worker not heard from for this long is gone (heartbeats come every 2 s). */
const WORKER_GONE_MS = 10_000;

/**
 * `docpool run --queue`: puts each file that needs work on the BullMQ queue, one job per content
 * and settings (so the same document is never worked twice, on any machine), and waits for its
 * answer. A job is kept after it completes until the coordinator has committed its answers: a
 * coordinator killed in between re-attaches to it by id on the next run and collects the answer.
 */
export class QueueCoordinator {
  readonly #queue: Queue<FileJob, FileJobResult>;
  readonly #events: QueueEvents;
  readonly #redis: Redis;
  readonly #settings: string;
  readonly #settingsHash: string;
  readonly #settingsText: string;
  /** What a worker's answers are checked against. */
  readonly #plan: StepPlan<StepFingerprints>;
  readonly #notify: (message: string) => void;
  #stalled = 0;
  /** Files of equal content met at once in this run wait on one job, whoever put it on the queue. */
  readonly #pending = new Map<string, Promise<RemoteOutcome>>();
  #latest: QueueSnapshot | undefined;
  readonly #watch: NodeJS.Timeout;
  /** QueueEvents' own: it blocks reading the events stream. */
  readonly #eventsConnection: Redis;

  private constructor(
    private readonly name: string,
    { redis, eventsConnection }: { redis: Redis; eventsConnection: Redis },
    queue: Queue<FileJob, FileJobResult>,
    events: QueueEvents,
    settings: { hash: string; text: string },
    private readonly stop: AbortSignal,
    plan: StepPlan<StepFingerprints>,
    notify: (message: string) => void,
  ) {
    this.#plan = plan;
    this.#notify = notify;
    this.#redis = redis;
    this.#eventsConnection = eventsConnection;
    this.#queue = queue;
    this.#events = events;
    this.#settingsHash = settings.hash;
    this.#settings = settingsKey(name, settings.hash);
    this.#settingsText = settings.text;
    // One waiter per file in flight: thousands of listeners by design.
    events.setMaxListeners(0);
    queue.setMaxListeners(0);
    events.on('stalled', () => this.#stalled++);
    this.#watch = setInterval(
      () =>
        void this.snapshot().then(
          (snapshot) => (this.#latest = snapshot),
          () => {},
        ),
      WATCH_MS,
    );
    this.#watch.unref();
  }

  /** The queue as last seen (every 2 s), for the dashboard and progress lines, which must not wait on Redis. */
  latest(): QueueSnapshot | undefined {
    return this.#latest;
  }

  static open(options: CoordinatorOptions): Promise<QueueCoordinator> {
    // A refused password is refused on every attempt: nothing the connection waits for would come.
    // The refusal may reach a command before the connection's error event: either way it is the same stop.
    return unlessAborted(QueueCoordinator.#connect(options), options.outages.refusal).catch((error: unknown) => {
      if (error instanceof Error && isCredentialRefusal(error)) options.outages.refuse(error);
      throw options.outages.refusal.aborted ? options.outages.refusal.reason : error;
    });
  }

  static async #connect(options: CoordinatorOptions): Promise<QueueCoordinator> {
    const { url, queue: name, config, plan, outages } = options;
    const redis = connectRedis(url, outages);
    const hash = plan.settingsHash();
    // What workers build their provider from: the coordinator's config (nothing secret is in it).
    const settingsText = JSON.stringify({ ...config, provider: plan.provider.name });
    await redis.set(settingsKey(name, hash), settingsText, 'EX', SETTINGS_TTL_S);
    // The queue's commands, the settings and the workers' heartbeats share one connection.
    const queue = new Queue<FileJob, FileJobResult>(name, { connection: redis, prefix: REDIS_PREFIX });
    queue.on('error', () => {});
    const eventsConnection = connectRedis(url, outages);
    const events = new QueueEvents(name, { connection: eventsConnection, prefix: REDIS_PREFIX });
    events.on('error', () => {});
    await events.waitUntilReady();
    return new QueueCoordinator(name, { redis, eventsConnection }, queue, events, { hash, text: settingsText }, options.stop, plan, options.notify);
  }

  /** Puts the file's job on the queue (or joins the one already there) and waits for how it ends. */
  answer(document: DocumentRef, sha256: string, known: Readonly<Record<string, StepResult>>): Promise<RemoteOutcome> {
    const { path, range } = document;
    const part = document.part ? { part: document.part.index } : {};
    const jobId = jobIdFor(sha256, this.#settingsHash, range);
    let pending = this.#pending.get(jobId);
    if (!pending) {
      pending = this.#finished({ path, ...part, ...(range ? { range } : {}), sha256, settings: this.#settings, known }, jobId);
      this.#pending.set(jobId, pending);
    }
    return pending;
  }

  /** The file's answers are committed: its job can go (a later run finds them in the cache instead). */
  async settled(sha256: string, range?: PageRange): Promise<void> {
    const jobId = jobIdFor(sha256, this.#settingsHash, range);
    this.#pending.delete(jobId);
    await this.#queue.remove(jobId).catch(() => 0); // already gone (another coordinator settled it): nothing to remove
  }

  async snapshot(): Promise<QueueSnapshot> {
    const [counts, beats] = await Promise.all([
      this.#queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized'),
      this.#redis.hgetall(workersKey(this.name)),
    ]);
    const now = Date.now();
    const workers = Object.values(beats)
      .map(readHeartbeat)
      .filter((beat): beat is WorkerHeartbeat => beat !== undefined && now - beat.at < WORKER_GONE_MS)
      .sort((a, b) => a.id.localeCompare(b.id));
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      stalled: this.#stalled,
      workers,
    };
  }

  async close(): Promise<void> {
    clearInterval(this.#watch);
    await Promise.allSettled([this.#events.close(), this.#queue.close()]);
    // BullMQ leaves a connection it was given open: each is closed here, or the process never exits.
    for (const connection of [this.#redis, this.#eventsConnection]) connection.disconnect();
  }

  /**
   * Puts the job on the queue and waits for its end, by its event, or by asking Redis every
   * RECHECK_MS (the events stream is capped: under a burst a waiter could miss its event). A job
   * that vanished (Redis restarted without persistence, or flushed) is put on the queue again, and
   * the run's settings with it. A hard stop returns INTERRUPTED and leaves the job queued for the
   * next run.
   */
  async #finished(data: FileJob, jobId: string): Promise<RemoteOutcome> {
    const interrupted: RemoteOutcome = {
      kind: 'job_failed',
      code: 'INTERRUPTED',
      message: 'stopped before a worker answered (the job stays queued; run again to collect it)',
    };
    const refused: string[] = [];
    let job = await this.#submit(data, jobId);
    for (;;) {
      if (this.stop.aborted) return interrupted;
      let returned: unknown;
      try {
        returned = await raceAbort<unknown>(job.waitUntilFinished(this.#events, RECHECK_MS), this.stop, () => interrupted);
        if (returned === interrupted) return interrupted;
      } catch {
        // The wait ended without its event (trimmed from the stream, or the recheck's timeout): ask the job itself.
        const state = await this.#queue.getJobState(jobId);
        if (state === 'failed') {
          const reason = (await Job.fromId(this.#queue, jobId))?.failedReason ?? 'unknown';
          return { kind: 'job_failed', code: 'QUEUE_JOB_FAILED', message: `no worker could answer it after ${JOB_ATTEMPTS} attempts: ${reason}` };
        }
        if (state === 'unknown') {
          await this.#redis.set(this.#settings, this.#settingsText, 'EX', SETTINGS_TTL_S, 'NX');
          job = await this.#submit(data, jobId);
        }
        if (state !== 'completed') continue;
        returned = (await Job.fromId<FileJob, FileJobResult>(this.#queue, jobId))?.returnvalue;
      }
      const checked = checkResult(returned, this.#plan, data.sha256, data.range);
      if (checked.ok) return checked.result;
      // Never cached, never written: the file is asked again, and the worker that sent it is named.
      const worker = (await Job.fromId(this.#queue, jobId).catch(() => undefined))?.processedBy ?? 'a worker that gave no name';
      refused.push(`${worker}: ${checked.reason}`);
      this.#notify(
        `docpool: worker ${worker} sent an answer for ${data.path} this docpool cannot use (${checked.reason}); ${refused.length < JOB_ATTEMPTS ? 'asking again' : 'giving up on it'}\n`,
      );
      if (refused.length >= JOB_ATTEMPTS)
        return { kind: 'job_failed', code: 'QUEUE_JOB_FAILED', message: `no usable answer after ${refused.length} tries: ${refused.join('; ')}` };
      await this.#queue.remove(jobId).catch(() => 0); // gone already: submitted afresh either way
      job = await this.#submit(data, jobId);
    }
  }

  #submit(data: FileJob, jobId: string): Promise<Job<FileJob, FileJobResult>> {
    return this.#queue.add('file', data, { jobId, attempts: JOB_ATTEMPTS, backoff: { type: 'exponential', delay: 1000 } });
  }
}
