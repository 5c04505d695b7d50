/**
 * What docpool knows of each Gemini model: when it came and goes, what it costs, how it thinks,
 * what a PDF page costs, and the limits Google published. Each fact comes from Google's pages as
 * read on the date given (never from the emulator, which keeps its own copy):
 * - deprecations page (ai.google.dev/gemini-api/docs/deprecations, read 2026-11-10 via its
 *   transcriptions, and 2026-12-06): release and shutdown dates, the recommended replacement.
 *   gemini-2.5-pro and gemini-2.5-flash shut down on 2026-12-01 (replacements gemini-3.8-flash and
 *   gemini-3.5-flash-lite); gemini-2.5-flash-lite "is not deprecated and remains available".
 * - pricing page (transcribed 2026-10-07): standard paid tier, prompts up to 200k tokens, output
 *   including thinking; Flex and Batch are half of it (optimization page). 3.1 Flash-Lite's price
 *   and 3.6/3.7 Flash's from third-party catalogues of the same page (2026-07/-08).
 * - thinking page and the 3.x model cards (Vertex "thinking" table, 2026-11): Gemini 3 takes
 *   `thinkingLevel`, 2.5 a `thinkingBudget`, never both in one request; 3.5 Flash-Lite thinks at
 *   MINIMAL by default; 3.7 and 3.8 Flash refuse MINIMAL (400), their lowest is LOW.
 * - media-resolution page: a PDF page costs 280 tokens at LOW, 560 at MEDIUM (the default for PDFs),
 *   1,120 at HIGH on Gemini 3; 258 a page on 2.x (document-processing page).
 * - rate-limits page: per-tier numbers were last published for 2.5 (mid/late 2025); for 3.x only
 *   tier 2 of some models (2026-07) and free tiers are known. Paid limits are otherwise shown only
 *   in AI Studio per project: docpool learns them from the first 429 (QuotaFailure.quotaValue).
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

/** Gemini 3's thinking levels, lowest first. */
export const THINKING_LEVELS = ['MINIMAL', 'LOW', 'MEDIUM', 'HIGH'] as const;
export type ThinkingLevel = (typeof THINKING_LEVELS)[number];

/** How a model is told how much to think: a token budget (2.5) or a level (Gemini 3). */
export type ThinkingControl =
  | {
      readonly by: 'budget';
      /** A budget of 0 switches thinking off; 2.5 Pro refuses it ("only works in thinking mode"). */
      readonly canDisable: boolean;
      /** Smallest and largest budget accepted, in tokens (besides 0 where allowed, and -1 for dynamic). */
      readonly minBudget: number;
      readonly maxBudget: number;
    }
  | {
      readonly by: 'level';
      /** The levels the model accepts; another is refused with a 400. */
      readonly levels: readonly ThinkingLevel[];
      /** The level it thinks at when told nothing. */
      readonly defaultLevel: ThinkingLevel;
    };

/** Gemini 3's `mediaResolution`; 2.x models read a PDF page at one fixed cost. */
export const MEDIA_RESOLUTIONS = ['low', 'medium', 'high'] as const;
export type MediaResolution = (typeof MEDIA_RESOLUTIONS)[number];

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
  /** GA ("stable") or preview, as the models page labels it. */
  readonly stage: 'stable' | 'preview';
  /** Release date (deprecations page). */
  readonly released: string;
  /** The day Google turns it off; undefined while none is announced. */
  readonly shutdown?: string;
  /** What Google recommends instead once it is shut down. */
  readonly replacement?: string;
  readonly prices: readonly Price[];
  readonly thinking: ThinkingControl;
  /** Input tokens one PDF page costs: by media resolution on Gemini 3, one figure on 2.x. */
  readonly pdfPageTokens: number | Readonly<Record<MediaResolution, number>>;
  /** Published limits per tier; a tier left out has none published (learned from the first 429, or give --rpm/--tpm). */
  readonly limits: Readonly<Partial<Record<Tier, ModelLimits>>>;
}

const BUDGET_2_5_PRO: ThinkingControl = { by: 'budget', canDisable: false, minBudget: 128, maxBudget: 32_768 };
const BUDGET_2_5_FLASH: ThinkingControl = { by: 'budget', canDisable: true, minBudget: 1, maxBudget: 24_576 };
const ALL_LEVELS = (defaultLevel: ThinkingLevel): ThinkingControl => ({ by: 'level', levels: THINKING_LEVELS, defaultLevel });
/** 3.7 and 3.8 Flash: MINIMAL is refused with a 400 (seen by users of both, 2026-09). */
const NO_MINIMAL: ThinkingControl = { by: 'level', levels: ['LOW', 'MEDIUM', 'HIGH'], defaultLevel: 'MEDIUM' };
const PAGE_2_X = 258;
const PAGE_3_X = { low: 280, medium: 560, high: 1120 } as const;

const limits2_5Pro = {
  free: { rpm: 5, tpm: 250_000, rpd: 100 },
  '1': { rpm: 150, tpm: 2_000_000, rpd: 10_000 },
  '2': { rpm: 1000, tpm: 5_000_000, rpd: 50_000 },
  '3': { rpm: 2000, tpm: 8_000_000 },
};
const limits2_5Flash = {
  free: { rpm: 10, tpm: 250_000, rpd: 250 },
  '1': { rpm: 1000, tpm: 1_000_000, rpd: 10_000 },
  '2': { rpm: 2000, tpm: 3_000_000, rpd: 100_000 },
  '3': { rpm: 10_000, tpm: 8_000_000 },
};

export const MODELS: Readonly<Record<string, ModelInfo>> = {
  'gemini-3.5-flash-lite': {
    asOf: '2026-12-06',
    stage: 'stable',
    released: '2026-07-21',
    prices: [{ inputPerMillion: 0.3, outputPerMillion: 2.5 }],
    thinking: ALL_LEVELS('MINIMAL'),
    pdfPageTokens: PAGE_3_X,
    limits: { '2': { rpm: 10_000, tpm: 10_000_000, rpd: 350_000 } },
  },
  'gemini-3.8-flash': {
    asOf: '2026-12-06',
    stage: 'stable',
    released: '2026-09-02',
    // An introductory price until the end of 2026, then the list price.
    prices: [
      { inputPerMillion: 0.75, outputPerMillion: 3.75 },
      { from: '2027-01-01', inputPerMillion: 1.5, outputPerMillion: 7.5 },
    ],
    thinking: NO_MINIMAL,
    pdfPageTokens: PAGE_3_X,
    limits: {},
  },
  'gemini-3.7-flash': {
    asOf: '2026-12-06',
    stage: 'stable',
    released: '2026-08-13',
    // Launch price "through December 31, 2027", then the list price.
    prices: [
      { inputPerMillion: 0.75, outputPerMillion: 3.75 },
      { from: '2028-01-01', inputPerMillion: 1.5, outputPerMillion: 7.5 },
    ],
    thinking: NO_MINIMAL,
    pdfPageTokens: PAGE_3_X,
    limits: {},
  },
  'gemini-3.6-flash': {
    asOf: '2026-12-06',
    stage: 'stable',
    released: '2026-07-21',
    prices: [{ inputPerMillion: 1.5, outputPerMillion: 7.5 }],
    thinking: ALL_LEVELS('MEDIUM'),
    pdfPageTokens: PAGE_3_X,
    limits: { '2': { rpm: 2000, tpm: 3_000_000, rpd: 100_000 } },
  },
  'gemini-3.5-flash': {
    asOf: '2026-12-06',
    stage: 'stable',
    released: '2026-05-19',
    prices: [{ inputPerMillion: 1.5, outputPerMillion: 9 }],
    thinking: ALL_LEVELS('MEDIUM'),
    pdfPageTokens: PAGE_3_X,
    limits: { free: { rpm: 5, tpm: 250_000, rpd: 20 } },
  },
  'gemini-3.1-flash-lite': {
    asOf: '2026-12-06',
    stage: 'stable',
    released: '2026-05-07',
    shutdown: '2027-05-07',
    replacement: 'gemini-3.5-flash-lite',
    prices: [{ inputPerMillion: 0.25, outputPerMillion: 1.5 }],
    thinking: ALL_LEVELS('MINIMAL'),
    pdfPageTokens: PAGE_3_X,
    limits: {},
  },
  'gemini-3.1-pro-preview': {
    asOf: '2026-12-06',
    stage: 'preview',
    released: '2026-02-19',
    prices: [{ inputPerMillion: 2, outputPerMillion: 12 }],
    // Pro has no MINIMAL; it thinks at HIGH unless told otherwise.
    thinking: { by: 'level', levels: ['LOW', 'MEDIUM', 'HIGH'], defaultLevel: 'HIGH' },
    pdfPageTokens: PAGE_3_X,
    // No free tier (limit 0); tier 2 as published 2026-07.
    limits: { '2': { rpm: 1000, tpm: 5_000_000, rpd: 50_000 } },
  },
  'gemini-2.5-flash-lite': {
    asOf: '2026-12-06',
    stage: 'stable',
    released: '2025-07-22',
    prices: [{ inputPerMillion: 0.1, outputPerMillion: 0.4 }],
    thinking: { by: 'budget', canDisable: true, minBudget: 512, maxBudget: 24_576 },
    pdfPageTokens: PAGE_2_X,
    limits: {
      free: { rpm: 15, tpm: 250_000, rpd: 1000 },
      '1': { rpm: 4000, tpm: 4_000_000 },
      '2': { rpm: 10_000, tpm: 10_000_000 },
      '3': { rpm: 30_000, tpm: 30_000_000 },
    },
  },
  'gemini-2.5-pro': {
    asOf: '2026-12-06',
    stage: 'stable',
    released: '2025-06-17',
    shutdown: '2026-12-01',
    replacement: 'gemini-3.8-flash',
    prices: [{ inputPerMillion: 1.25, outputPerMillion: 10 }],
    thinking: BUDGET_2_5_PRO,
    pdfPageTokens: PAGE_2_X,
    limits: limits2_5Pro,
  },
  'gemini-2.5-flash': {
    asOf: '2026-12-06',
    stage: 'stable',
    released: '2025-06-17',
    shutdown: '2026-12-01',
    replacement: 'gemini-3.5-flash-lite',
    prices: [{ inputPerMillion: 0.3, outputPerMillion: 2.5 }],
    thinking: BUDGET_2_5_FLASH,
    pdfPageTokens: PAGE_2_X,
    limits: limits2_5Flash,
  },
};

export function modelInfo(model: string): ModelInfo | undefined {
  return MODELS[model];
}

/** The price in force on a day (YYYY-MM-DD), from the model's dated prices. */
export function priceOn(info: ModelInfo, day: string): Price {
  return [...info.prices].reverse().find((price) => price.from === undefined || price.from <= day) ?? info.prices[0]!;
}

/** The model's shutdown, when it is on or before `day` (YYYY-MM-DD): such a model is never asked. */
export function shutDownBy(model: string, day: string): { readonly on: string; readonly replacement?: string } | undefined {
  const info = MODELS[model];
  if (!info?.shutdown || info.shutdown > day) return undefined;
  return info.replacement ? { on: info.shutdown, replacement: info.replacement } : { on: info.shutdown };
}

/** Whether the model reads PDFs at a chosen media resolution (Gemini 3); 2.x and unknown models do not. */
export function takesMediaResolution(model: string): boolean {
  return typeof MODELS[model]?.pdfPageTokens === 'object';
}

/** Tokens one PDF page costs at a media resolution (2.x's 258 for a model that has one rate or that docpool does not know). */
export function pageTokens(model: string, resolution: MediaResolution): number {
  const rate = MODELS[model]?.pdfPageTokens ?? PAGE_2_X;
  return typeof rate === 'number' ? rate : rate[resolution];
}

/** Input tokens for `pages` PDF pages on a model at a media resolution. */
export function pdfTokens(model: string, pages: number, resolution: MediaResolution): number {
  return pages * pageTokens(model, resolution);
}
