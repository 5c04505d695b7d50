import type { ModelLimiterStats } from '../providers/gemini/model-limiter.ts';
import type { RunSample } from '../state/run-sample.ts';
import type { Store } from '../state/store.ts';
import type { RunStats } from './run-stats.ts';

/** A sample every 2 s; the interval doubles after each 1,800 samples, so a run of any length keeps a few thousand. */
const FIRST_INTERVAL_MS = 2_000;
const SAMPLES_PER_INTERVAL = 1_800;

export interface SamplerSources {
  readonly store: Store;
  readonly runId: string;
  readonly attemptStartedAt: number;
  readonly stats: RunStats;
  readonly limiters: () => readonly ModelLimiterStats[];
}

/**
 * Keeps the run's time series in LMDB for `docpool report`: counters every few seconds, never a
 * row per file. A sample that cannot be written is skipped (it is a chart point, not work).
 */
export class RunSampler {
  #interval = FIRST_INTERVAL_MS;
  #taken = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly sources: SamplerSources) {
    this.#schedule();
  }

  /** Takes the closing sample (the attempt's final totals) and stops. */
  async stop(): Promise<void> {
    if (!this.#timer) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#take();
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      void this.#take();
      if (++this.#taken % SAMPLES_PER_INTERVAL === 0) this.#interval *= 2;
      if (this.#timer) this.#schedule();
    }, this.#interval);
    this.#timer.unref();
  }

  async #take(): Promise<void> {
    const { store, runId, attemptStartedAt, stats, limiters } = this.sources;
    const run = stats.snapshot();
    const sample: RunSample = {
      at: Date.now(),
      attemptStartedAt,
      finished: run.finished,
      done: run.done,
      cached: run.cached,
      failed: run.failed,
      costUsd: run.costUsd,
      models: limiters().map((limiter) => ({
        model: limiter.model,
        sent: limiter.sent,
        settled: limiter.settled,
        rateLimited: limiter.rateLimited,
        ...(limiter.rpm === undefined ? {} : { rpm: limiter.rpm }),
      })),
      spend: run.spend,
    };
    // A sample is for the report's charts; a failed write of one must not stop the run (the run's own writes report a full disk).
    await store.putSample(runId, sample).catch(() => {});
  }
}
