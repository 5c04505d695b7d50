/**
 * Published Gemini prices and rate limits, the one table both docpool and its emulator use.
 * Sources: ../shared/reference/gemini-wire.md §6 (limits, last published mid/late 2025) and §11
 * (prices, transcribed 2026-09-20 and 2026-10-07). Override limits with --rpm/--tpm when your
 * project's quota differs; AI Studio shows the live numbers.
 */
export const PRICES_AS_OF = '2026-10-07';

export type Tier = 'free' | '1' | '2' | '3';
export const TIERS: readonly Tier[] = ['free', '1', '2', '3'];

export interface ModelLimits {
  /** Requests per minute. */
  readonly rpm: number;
  /** Input tokens per minute. */
  readonly tpm: number;
  /** Requests per day; undefined where none is published. */
  readonly rpd?: number;
}

/** What a model allows of `thinkingConfig.thinkingBudget` (gemini-wire.md §2). */
export interface ThinkingFacts {
  /** A budget of 0 switches thinking off; 2.5 Pro refuses it ("only works in thinking mode"). */
  readonly canDisable: boolean;
  /** Smallest and largest budget accepted, in tokens (besides 0 where allowed, and -1 for dynamic). */
  readonly minBudget: number;
  readonly maxBudget: number;
}

export interface ModelInfo {
  /** USD per 1M input tokens (prompts up to 200k tokens). */
  readonly inputPerMillion: number;
  /** USD per 1M output tokens, thinking included. */
  readonly outputPerMillion: number;
  /** How the model thinks (thinking tokens are billed as output and count against maxOutputTokens). */
  readonly thinking: ThinkingFacts;
  readonly limits: Readonly<Record<Tier, ModelLimits>>;
}

export const MODELS: Readonly<Record<string, ModelInfo>> = {
  'gemini-2.5-pro': {
    inputPerMillion: 1.25,
    outputPerMillion: 10,
    thinking: { canDisable: false, minBudget: 128, maxBudget: 32_768 },
    limits: {
      free: { rpm: 5, tpm: 250_000, rpd: 100 },
      '1': { rpm: 150, tpm: 2_000_000, rpd: 10_000 },
      '2': { rpm: 1000, tpm: 5_000_000, rpd: 50_000 },
      '3': { rpm: 2000, tpm: 8_000_000 },
    },
  },
  'gemini-2.5-flash': {
    inputPerMillion: 0.3,
    outputPerMillion: 2.5,
    thinking: { canDisable: true, minBudget: 1, maxBudget: 24_576 },
    limits: {
      free: { rpm: 10, tpm: 250_000, rpd: 250 },
      '1': { rpm: 1000, tpm: 1_000_000, rpd: 10_000 },
      '2': { rpm: 2000, tpm: 3_000_000, rpd: 100_000 },
      '3': { rpm: 10_000, tpm: 8_000_000 },
    },
  },
  'gemini-2.5-flash-lite': {
    inputPerMillion: 0.1,
    outputPerMillion: 0.4,
    thinking: { canDisable: true, minBudget: 512, maxBudget: 24_576 },
    limits: {
      free: { rpm: 15, tpm: 250_000, rpd: 1000 },
      '1': { rpm: 4000, tpm: 4_000_000 },
      '2': { rpm: 10_000, tpm: 10_000_000 },
      '3': { rpm: 30_000, tpm: 30_000_000 },
    },
  },
};

export function modelInfo(model: string): ModelInfo | undefined {
  return MODELS[model];
}

/** USD for one call's tokens at standard (non-batch) prices. */
export function priceTokens(model: string, inputTokens: number, outputTokens: number): number {
  const info = MODELS[model];
  if (!info) return 0;
  return (inputTokens * info.inputPerMillion + outputTokens * info.outputPerMillion) / 1_000_000;
}
