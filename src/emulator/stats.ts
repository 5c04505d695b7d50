import type { BatchStats } from './batch-api.ts';

/** What the emulator saw, served at GET /_emulator/stats so tests and the bench measure from the server's side. */
export interface EmulatorStats {
  readonly requests: {
    /** Every generateContent and countTokens request received, whatever its outcome. */
    readonly total: number;
    readonly byModel: Readonly<Record<string, number>>;
    readonly byStatus: Readonly<Record<string, number>>;
    readonly byMethod: Readonly<Record<string, number>>;
  };
  readonly tokens: { readonly input: number; readonly output: number; readonly thinking: number };
  /** Prompt tokens of answered online requests by modality (TEXT, DOCUMENT, IMAGE), as usageMetadata.promptTokensDetails lists them. */
  readonly promptTokensByModality: Readonly<Record<string, number>>;
  /** Answered requests and their tokens by service tier ("standard", "flex", "priority"): what each is billed at. */
  readonly byTier: Readonly<Record<string, TierUsage>>;
  /** The same per model, then tier: what a bill would list. */
  readonly byModelTier: Readonly<Record<string, Readonly<Record<string, TierUsage>>>>;
  /** Successful generateContent requests per model per quota window (index = window number since start). */
  readonly acceptedPerWindow: Readonly<Record<string, readonly number[]>>;
  readonly windowMs: number;
  /**
   * The same per model in ticks of `TICK_MS` since start: a client's windows, counted from its
   * first request rather than from the emulator's start, are sums of these.
   */
  readonly acceptedPerTick: Readonly<Record<string, readonly number[]>>;
  readonly tickMs: number;
  readonly faults: Readonly<Record<string, number>>;
  readonly inFlight: number;
  readonly inFlightPeak: number;
  readonly startedAt: string;
  /** Batch jobs: created, by end state, and the requests they held (none of them counted in `requests`). */
  readonly batches: BatchStats;
}

const TICK_MS = 100;

export class StatsRecorder {
  #started = Date.now();
  #total = 0;
  #byModel: Record<string, number> = {};
  #byStatus: Record<string, number> = {};
  #byMethod: Record<string, number> = {};
  #tokens = { input: 0, output: 0, thinking: 0 };
  #byModality: Record<string, number> = {};
  #byModelTier: Record<string, Record<string, { requests: number; input: number; output: number; thinking: number }>> = {};
  #accepted: Record<string, number[]> = {};
  #acceptedTicks: Record<string, number[]> = {};
  #faults: Record<string, number> = {};
  #inFlight = 0;
  #peak = 0;

  constructor(private windowMs: number) {}

  setWindow(windowMs: number): void {
    this.windowMs = windowMs;
  }

  received(model: string, method: string): void {
    this.#total++;
    this.#byModel[model] = (this.#byModel[model] ?? 0) + 1;
    this.#byMethod[method] = (this.#byMethod[method] ?? 0) + 1;
    this.#inFlight++;
    this.#peak = Math.max(this.#peak, this.#inFlight);
  }

  finished(status: number | 'reset' | 'stalled'): void {
    this.#inFlight--;
    this.#byStatus[String(status)] = (this.#byStatus[String(status)] ?? 0) + 1;
  }

  accepted(model: string, at: number): void {
    count((this.#accepted[model] ??= []), Math.floor((at - this.#started) / this.windowMs));
    count((this.#acceptedTicks[model] ??= []), Math.floor((at - this.#started) / TICK_MS));
  }

  usage(model: string, input: number, output: number, thinking: number, tier: string): void {
    const byTier = ((this.#byModelTier[model] ??= {})[tier] ??= { requests: 0, input: 0, output: 0, thinking: 0 });
    byTier.requests++;
    byTier.input += input;
    byTier.output += output;
    byTier.thinking += thinking;
    this.#tokens.input += input;
    this.#tokens.output += output;
    this.#tokens.thinking += thinking;
  }

  promptModalities(tokens: Readonly<Record<string, number>>): void {
    for (const [modality, count] of Object.entries(tokens)) this.#byModality[modality] = (this.#byModality[modality] ?? 0) + count;
  }

  fault(kind: string): void {
    this.#faults[kind] = (this.#faults[kind] ?? 0) + 1;
  }

  reset(): void {
    const inFlight = this.#inFlight;
    this.#started = Date.now();
    this.#total = 0;
    this.#byModel = {};
    this.#byStatus = {};
    this.#byMethod = {};
    this.#tokens = { input: 0, output: 0, thinking: 0 };
    this.#byModality = {};
    this.#byModelTier = {};
    this.#accepted = {};
    this.#acceptedTicks = {};
    this.#faults = {};
    this.#inFlight = inFlight;
    this.#peak = inFlight;
  }

  snapshot(): Omit<EmulatorStats, 'batches'> {
    return {
      requests: { total: this.#total, byModel: { ...this.#byModel }, byStatus: { ...this.#byStatus }, byMethod: { ...this.#byMethod } },
      tokens: { ...this.#tokens },
      promptTokensByModality: { ...this.#byModality },
      byTier: sumByTier(this.#byModelTier),
      byModelTier: structuredClone(this.#byModelTier),
      acceptedPerWindow: Object.fromEntries(Object.entries(this.#accepted).map(([model, counts]) => [model, [...counts]])),
      windowMs: this.windowMs,
      acceptedPerTick: Object.fromEntries(Object.entries(this.#acceptedTicks).map(([model, counts]) => [model, [...counts]])),
      tickMs: TICK_MS,
      faults: { ...this.#faults },
      inFlight: this.#inFlight,
      inFlightPeak: this.#peak,
      startedAt: new Date(this.#started).toISOString(),
    };
  }
}

export interface TierUsage {
  readonly requests: number;
  readonly input: number;
  readonly output: number;
  readonly thinking: number;
}

function sumByTier(byModelTier: Readonly<Record<string, Readonly<Record<string, TierUsage>>>>): Record<string, TierUsage> {
  const totals: Record<string, { requests: number; input: number; output: number; thinking: number }> = {};
  for (const tiers of Object.values(byModelTier)) {
    for (const [tier, usage] of Object.entries(tiers)) {
      const total = (totals[tier] ??= { requests: 0, input: 0, output: 0, thinking: 0 });
      total.requests += usage.requests;
      total.input += usage.input;
      total.output += usage.output;
      total.thinking += usage.thinking;
    }
  }
  return totals;
}

function count(counts: number[], index: number): void {
  while (counts.length <= index) counts.push(0);
  counts[index]!++;
}
