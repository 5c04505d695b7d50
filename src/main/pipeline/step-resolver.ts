import type { FileStage, RunStats } from '../progress/run-stats.ts';
import { type Provider, type StageOutcome, ZERO_USAGE } from '../providers/provider.ts';
import type { StageResult, Store, TokenUsage } from '../state/store.ts';

export type Resolved =
  | (StageOutcome & { ok: false })
  | {
      readonly ok: true;
      readonly result: StageResult;
      readonly cached: boolean;
      readonly apiError?: { readonly code: string; readonly message: string };
      /** Spent on the failed API attempts a fallback answer replaced. */
      readonly spentBefore?: TokenUsage;
    };

/** Answers one stage for one file: from the cache, from an identical request in flight, or from a provider. One per run. */
export class StageRunner {
  /**
   * Identical content met twice in one run (duplicate invoices are common) is asked once: the
   * second file waits for the first's answer instead of paying for its own.
   */
  readonly #asking = new Map<string, Promise<Resolved>>();

  constructor(
    private readonly store: Store,
    private readonly stats: RunStats,
    private readonly provider: Provider,
    private readonly fallback: Provider | undefined,
  ) {}

  /**
   * A stage from the main provider; if that failed for good and a fallback is configured, from the
   * fallback, keeping the API error beside the answer so the record shows why.
   */
  async withFallback(stage: (provider: Provider) => Promise<Resolved>): Promise<Resolved> {
    const primary = await stage(this.provider);
    if (primary.ok || !this.fallback || primary.code === 'INTERRUPTED') return primary;
    const fallback = await stage(this.fallback);
    if (!fallback.ok) return primary;
    return { ...fallback, apiError: { code: primary.code, message: primary.message }, ...(primary.usage ? { spentBefore: primary.usage } : {}) };
  }

  /** A stage from the cache if its key is there, else from the provider, committed before returning. */
  async resolve(stage: FileStage, key: string, ask: () => Promise<StageOutcome>): Promise<Resolved> {
    const hit = this.store.getResult(key);
    if (hit) return { ok: true, result: hit, cached: true };
    const pending = this.#asking.get(key);
    if (pending) {
      const shared = await pending;
      return shared.ok ? { ...shared, cached: true } : shared;
    }
    const answer = (async (): Promise<Resolved> => {
      const outcome = await inStage(this.stats, stage, ask);
      if (!outcome.ok) return outcome;
      await this.store.putResult(key, outcome.result);
      return { ok: true, result: outcome.result, cached: false };
    })();
    this.#asking.set(key, answer);
    try {
      return await answer;
    } finally {
      this.#asking.delete(key);
    }
  }
}

export async function inStage<T>(stats: RunStats, stage: FileStage, work: () => Promise<T>): Promise<T> {
  stats.enter(stage);
  try {
    return await work();
  } finally {
    stats.leave(stage);
  }
}

export function spentThisRun(stage: Resolved & { ok: true }): TokenUsage {
  return addUsage(stage.cached ? ZERO_USAGE : stage.result.usage, stage.spentBefore ?? ZERO_USAGE);
}

export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return { input: a.input + b.input, output: a.output + b.output, thinking: a.thinking + b.thinking, costUsd: a.costUsd + b.costUsd };
}

