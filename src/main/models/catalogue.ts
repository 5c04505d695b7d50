/**
 * What docpool knows of each Gemini model: prices, published rate limits, how it thinks, what a
 * PDF page costs. Each entry says when its facts were read. Sources: Google's pricing page as
 * transcribed on 2026-10-07 (standard paid tier, prompts up to 200k tokens; output includes
 * thinking), the rate-limits page (tier numbers last published mid/late 2025 for 2.5; 2026-07 for
 * the 3.x models where known), the thinking page (budget ranges; Gemini 3 Pro cannot stop
 * thinking), the document-processing page (258 tokens a page for 2.x) and Gemini 3's
 * media-resolution notes (560 a page at the default). Override limits with --rpm/--tpm and prices
 * with --price when your project's differ; AI Studio shows the live numbers.
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

/** What a model allows of `thinkingConfig.thinkingBudget`. */
export interface ThinkingFacts {
  /** A budget of 0 switches thinking off; 2.5 Pro and 3.x Pro refuse it ("only works in thinking mode"). */
  readonly canDisable: boolean;
  /** Smallest and largest budget accepted, in tokens (besides 0 where allowed, and -1 for dynamic). */
  readonly minBudget: number;
  readonly maxBudget: number;
}

/** USD per 1M tokens, from a date on (the first entry has no date: it applies until the next). */
export interface Price {
  readonly from?: string;
  readonly inputPerMillion: number;
  /** Output tokens, thinking included. */
  readonly outputPerMillion: number;
}

export interface ModelInfo {
  /** When these facts were last read from Google's pages. */
  readonly asOf: string;
  readonly prices: readonly Price[];
  readonly thinking: ThinkingFacts;
  /** Input tokens one PDF page costs at the default media resolution. */
  readonly tokensPerPdfPage: number;
  /** Published limits per tier; a tier left out has none published (give --rpm/--tpm). */
  readonly limits: Readonly<Partial<Record<Tier, ModelLimits>>>;
}

const PRO_THINKING: ThinkingFacts = { canDisable: false, minBudget: 128, maxBudget: 32_768 };
const FLASH_THINKING: ThinkingFacts = { canDisable: true, minBudget: 1, maxBudget: 24_576 };

export const MODELS: Readonly<Record<string, ModelInfo>> = {
  'gemini-2.5-pro': {
    asOf: '2026-10-07',
    prices: [{ inputPerMillion: 1.25, outputPerMillion: 10 }],
    thinking: PRO_THINKING,
    tokensPerPdfPage: 258,
    limits: { free: { rpm: 5, tpm: 250_000, rpd: 100 }, '1': { rpm: 150, tpm: 2_000_000, rpd: 10_000 }, '2': { rpm: 1000, tpm: 5_000_000, rpd: 50_000 }, '3': { rpm: 2000, tpm: 8_000_000 } },
  },
  'gemini-2.5-flash': {
    asOf: '2026-10-07',
    prices: [{ inputPerMillion: 0.3, outputPerMillion: 2.5 }],
    thinking: FLASH_THINKING,
    tokensPerPdfPage: 258,
    limits: { free: { rpm: 10, tpm: 250_000, rpd: 250 }, '1': { rpm: 1000, tpm: 1_000_000, rpd: 10_000 }, '2': { rpm: 2000, tpm: 3_000_000, rpd: 100_000 }, '3': { rpm: 10_000, tpm: 8_000_000 } },
  },
  'gemini-2.5-flash-lite': {
    asOf: '2026-10-07',
    prices: [{ inputPerMillion: 0.1, outputPerMillion: 0.4 }],
    thinking: { canDisable: true, minBudget: 512, maxBudget: 24_576 },
    tokensPerPdfPage: 258,
    limits: { free: { rpm: 15, tpm: 250_000, rpd: 1000 }, '1': { rpm: 4000, tpm: 4_000_000 }, '2': { rpm: 10_000, tpm: 10_000_000 }, '3': { rpm: 30_000, tpm: 30_000_000 } },
  },
  'gemini-3.1-pro-preview': {
    asOf: '2026-10-07',
    prices: [{ inputPerMillion: 2, outputPerMillion: 12 }],
    thinking: PRO_THINKING,
    tokensPerPdfPage: 560,
    // No free tier (limit 0); tier 2 as published 2026-07.
    limits: { '2': { rpm: 1000, tpm: 5_000_000, rpd: 50_000 } },
  },
  'gemini-3.5-flash': {
    asOf: '2026-10-07',
    prices: [{ inputPerMillion: 1.5, outputPerMillion: 9 }],
    thinking: FLASH_THINKING,
    tokensPerPdfPage: 560,
    limits: { free: { rpm: 5, tpm: 250_000, rpd: 20 } },
  },
  'gemini-3.5-flash-lite': {
    asOf: '2026-10-07',
    prices: [{ inputPerMillion: 0.3, outputPerMillion: 2.5 }],
    // Documented as able to stop thinking, but the service refuses budget 0 today (python-genai#2936).
    thinking: { canDisable: false, minBudget: 512, maxBudget: 24_576 },
    tokensPerPdfPage: 560,
    limits: { '2': { rpm: 10_000, tpm: 10_000_000, rpd: 350_000 } },
  },
  'gemini-3.8-flash': {
    asOf: '2026-10-07',
    // An introductory price until the end of 2026, then the list price.
    prices: [
      { inputPerMillion: 0.75, outputPerMillion: 3.75 },
      { from: '2027-01-01', inputPerMillion: 1.5, outputPerMillion: 7.5 },
    ],
    thinking: FLASH_THINKING,
    tokensPerPdfPage: 560,
    limits: {},
  },
};

export function modelInfo(model: string): ModelInfo | undefined {
  return MODELS[model];
}

/** The price in force on a day (YYYY-MM-DD), from the model's dated prices. */
export function priceOn(info: ModelInfo, day: string): Price {
  return [...info.prices].reverse().find((price) => price.from === undefined || price.from <= day) ?? info.prices[0]!;
}

/** Input tokens for `pages` PDF pages on a model (2.x's 258 a page for a model docpool does not know). */
export function pdfTokens(model: string, pages: number): number {
  return pages * (MODELS[model]?.tokensPerPdfPage ?? 258);
}
