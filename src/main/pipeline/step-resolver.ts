import type { FileFailureCode } from '../failure-codes.ts';
import type { ExpectedAnswer } from '../profiles/stored-answer.ts';
import type { FilePhase, RunStats } from '../progress/run-stats.ts';
import type { Provider, StepOutcome } from '../providers/provider.ts';
import { addUsage, type StepResult, type TokenUsage, ZERO_USAGE } from '../state/record.ts';
import type { Store } from '../state/store.ts';
import type { StepPlan } from './step-plan.ts';

export type Resolved =
  | (StepOutcome & { ok: false })
  | {
      readonly ok: true;
      readonly result: StepResult;
      readonly cached: boolean;
      readonly apiError?: { readonly code: FileFailureCode; readonly message: string };
      /** Spent on the failed API attempts a fallback answer replaced. */
      readonly spentBefore?: TokenUsage;
    };

/** Where committed step answers are found and put: LMDB in a run, a job's own map on a queue worker. */
export type StepCache = Pick<Store, 'getResult' | 'putResult'>;

/** Answers one step for one file: from the cache, from an identical request in flight, or from a provider. One per run. */
export class StepResolver {
  /**
   * Identical content met twice in one run (duplicate invoices are common) is asked once: the
   * second file waits for the first's answer instead of paying for its own.
   */
  readonly #asking = new Map<string, Promise<Resolved>>();

  constructor(
    /** Where this run's step answers are read and committed. */
    readonly cache: StepCache,
    private readonly plan: StepPlan,
    private readonly stats: RunStats,
  ) {}

  /**
   * A step from the main provider; if that failed for good and a fallback is configured, from the
   * fallback, keeping the API error beside the answer so the record shows why.
   */
  async withFallback(step: (provider: Provider) => Promise<Resolved>): Promise<Resolved> {
    const primary = await step(this.plan.provider);
    if (primary.ok || !this.plan.fallback || primary.code === 'INTERRUPTED') return primary;
    const fallback = await step(this.plan.fallback);
    if (!fallback.ok) return primary;
    return { ...fallback, apiError: { code: primary.code, message: primary.message }, ...(primary.usage ? { spentBefore: primary.usage } : {}) };
  }

  /**
   * A step from the cache if its key holds an answer this profile can serve, else from the
   * provider (replacing a stored answer that failed its check), committed before returning.
   */
  async resolve(phase: FilePhase, key: string, expected: ExpectedAnswer, ask: () => Promise<StepOutcome>): Promise<Resolved> {
    const hit = this.plan.read(this.cache, key, expected);
    if (hit) return { ok: true, result: hit, cached: true };
    const pending = this.#asking.get(key);
    if (pending) {
      const shared = await pending;
      return shared.ok ? { ...shared, cached: true } : shared;
    }
    const answer = (async (): Promise<Resolved> => {
      const outcome = await inPhase(this.stats, phase, ask);
      if (!outcome.ok) return outcome;
      await this.cache.putResult(key, outcome.result);
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

export async function inPhase<T>(stats: RunStats, phase: FilePhase, work: () => Promise<T>): Promise<T> {
  stats.enter(phase);
  try {
    return await work();
  } finally {
    stats.leave(phase);
  }
}

export function spentThisRun(step: Resolved & { ok: true }): TokenUsage {
  return addUsage(step.cached ? ZERO_USAGE : step.result.usage, step.spentBefore ?? ZERO_USAGE);
}
