import type { QueueSnapshot } from '../queue/queue-coordinator.ts';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ModelLimiterStats } from '../providers/gemini/model-limiter.ts';
import type { PreparePoolStats } from '../pipeline/prepare-pool.ts';
import type { RunSnapshot, RunStats } from './run-stats.ts';
import { projectedCost } from './spend-projection.ts';

/** Everything the dashboard draws, as one plain value: the TUI renders it and nothing else. */
export interface DashboardSnapshot {
  readonly run: RunSnapshot;
  readonly runId: string;
  readonly provider: string;
  readonly paused: boolean;
  readonly stopping: boolean;
  readonly models: readonly ModelLimiterStats[];
  readonly pool: PreparePoolStats;
  /** Spend so far plus every discovered file still to finish at the average so far. */
  readonly projectedCostUsd: number;
  readonly rssBytes: number;
  readonly eventLoopP99Ms: number;
  /** `run --queue`: the queue's jobs and its workers, as last seen. */
  readonly queue?: QueueSnapshot;
}

export interface FeedSources {
  readonly runId: string;
  readonly provider: string;
  readonly stats: RunStats;
  readonly limiters: () => readonly ModelLimiterStats[];
  readonly pool: () => PreparePoolStats;
  readonly paused: () => boolean;
  readonly stopping: () => boolean;
  readonly queue?: () => QueueSnapshot | undefined;
}

/** The event-loop sampler's interval, ms. */
const LOOP_RESOLUTION_MS = 10;

/**
 * Samples the run for the dashboard (and measures the main thread's event-loop delay, which is
 * the dashboard's own promise: it must not slow the run).
 */
export class DashboardFeed {
  readonly #loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });

  constructor(private readonly sources: FeedSources) {
    this.#loop.enable();
  }

  snapshot(): DashboardSnapshot {
    const run = this.sources.stats.snapshot();
    return {
      run,
      runId: this.sources.runId,
      provider: this.sources.provider,
      paused: this.sources.paused(),
      stopping: this.sources.stopping(),
      models: this.sources.limiters(),
      pool: this.sources.pool(),
      projectedCostUsd: projectedCost(run, run.discovered - run.finished),
      rssBytes: process.memoryUsage.rss(),
      eventLoopP99Ms: this.eventLoopP99Ms(),
      ...withQueue(this.sources.queue?.()),
    };
  }

  /**
   * How late the main thread ran a timer, p99. Node's histogram records the whole interval between
   * the sampler's ticks, so an idle process reads the resolution itself (10.3 ms here); the delay
   * is what lies beyond it (the correction OpenTelemetry and Elastic APM make too:
   * open-telemetry/opentelemetry-js-contrib#2794).
   */
  eventLoopP99Ms(): number {
    return Math.max(0, this.#loop.percentile(99) / 1e6 - LOOP_RESOLUTION_MS);
  }

  close(): void {
    this.#loop.disable();
  }
}

const withQueue = (queue: QueueSnapshot | undefined) => (queue ? { queue } : {});
