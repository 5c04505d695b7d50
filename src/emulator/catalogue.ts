/**
 * The models the emulator serves and the rules each one enforces, taken from Google's
 * documentation and captured answers, never from docpool's own tables: where the two agree, the
 * emulator would test nothing.
 *
 * Sources (searched 2026-11-23): ai.google.dev/gemini-api/docs/thinking (budget ranges: 2.5 Pro
 * 128–32,768 and cannot be turned off; 2.5 Flash 0–24,576; 2.5 Flash-Lite 512–24,576 or 0;
 * -1 = dynamic; `thinkingLevel` is for Gemini 3 only), ai.google.dev/gemini-api/docs/models
 * (1,048,576 input tokens, 65,536 output tokens for the 2.5 family, 64k for Gemini 3),
 * ai.google.dev/gemini-api/docs/document-processing (258 tokens per PDF page for 2.x),
 * Gemini 3's media-resolution notes (560 tokens per PDF page at the default MEDIUM), and the rate
 * limits last published per tier (rate-limits page; 2.5 Flash confirmed by Google staff on the
 * developer forum, the rest third-party transcriptions).
 */

export type EmulatedTier = 'free' | '1' | '2' | '3';
export const EMULATED_TIERS: readonly EmulatedTier[] = ['free', '1', '2', '3'];

export interface QuotaLimits {
  readonly rpm?: number;
  readonly tpm?: number;
  readonly rpd?: number;
}

export interface ThinkingRule {
  /** `thinkingBudget: 0` accepted (thinking off)? 2.5 Pro and Gemini 3 Pro answer 400. */
  readonly canDisable: boolean;
  readonly minBudget: number;
  readonly maxBudget: number;
  /** Gemini 3 takes `thinkingLevel`; a 2.5 model refuses it. */
  readonly levels?: readonly string[];
  /** Thinking when the request says nothing (dynamic): the model thinks unless it is off by default. */
  readonly onByDefault: boolean;
}

export interface EmulatedModel {
  /** Methods the model serves; anything else is Google's 404 "not supported for {method}". */
  readonly methods: readonly string[];
  readonly inputTokenLimit: number;
  readonly outputTokenLimit: number;
  /** Tokens one PDF page costs at the default media resolution. */
  readonly tokensPerPdfPage: number;
  readonly thinking?: ThinkingRule;
  readonly limits: Readonly<Record<EmulatedTier, QuotaLimits>>;
}

const GENERATE = ['generateContent', 'countTokens', 'streamGenerateContent', 'batchGenerateContent'];

const GEMINI_3_LEVELS = ['MINIMAL', 'LOW', 'MEDIUM', 'HIGH'];

export const CATALOGUE: Readonly<Record<string, EmulatedModel>> = {
  'gemini-2.5-pro': {
    methods: GENERATE,
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    tokensPerPdfPage: 258,
    thinking: { canDisable: false, minBudget: 128, maxBudget: 32_768, onByDefault: true },
    limits: { free: { rpm: 5, tpm: 250_000, rpd: 100 }, '1': { rpm: 150, tpm: 2_000_000, rpd: 10_000 }, '2': { rpm: 1000, tpm: 5_000_000, rpd: 50_000 }, '3': { rpm: 2000, tpm: 8_000_000 } },
  },
  'gemini-2.5-flash': {
    methods: GENERATE,
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    tokensPerPdfPage: 258,
    thinking: { canDisable: true, minBudget: 1, maxBudget: 24_576, onByDefault: true },
    limits: { free: { rpm: 10, tpm: 250_000, rpd: 250 }, '1': { rpm: 1000, tpm: 1_000_000, rpd: 10_000 }, '2': { rpm: 2000, tpm: 3_000_000, rpd: 100_000 }, '3': { rpm: 10_000, tpm: 8_000_000 } },
  },
  'gemini-2.5-flash-lite': {
    methods: GENERATE,
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    tokensPerPdfPage: 258,
    thinking: { canDisable: true, minBudget: 512, maxBudget: 24_576, onByDefault: false },
    limits: { free: { rpm: 15, tpm: 250_000, rpd: 1000 }, '1': { rpm: 4000, tpm: 4_000_000 }, '2': { rpm: 10_000, tpm: 10_000_000 }, '3': { rpm: 30_000, tpm: 30_000_000 } },
  },
  'gemini-3.1-pro-preview': {
    methods: GENERATE,
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    tokensPerPdfPage: 560,
    thinking: { canDisable: false, minBudget: 128, maxBudget: 32_768, levels: ['LOW', 'HIGH'], onByDefault: true },
    limits: { free: { rpm: 0, tpm: 0, rpd: 0 }, '1': { rpm: 150, tpm: 2_000_000, rpd: 10_000 }, '2': { rpm: 1000, tpm: 5_000_000, rpd: 50_000 }, '3': { rpm: 2000, tpm: 8_000_000 } },
  },
  'gemini-3.5-flash': {
    methods: GENERATE,
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    tokensPerPdfPage: 560,
    thinking: { canDisable: true, minBudget: 1, maxBudget: 24_576, levels: GEMINI_3_LEVELS, onByDefault: true },
    limits: { free: { rpm: 5, tpm: 250_000, rpd: 20 }, '1': { rpm: 1000, tpm: 1_000_000, rpd: 10_000 }, '2': { rpm: 2000, tpm: 3_000_000, rpd: 100_000 }, '3': { rpm: 10_000, tpm: 8_000_000 } },
  },
  'gemini-3.5-flash-lite': {
    methods: GENERATE,
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    tokensPerPdfPage: 560,
    thinking: { canDisable: true, minBudget: 512, maxBudget: 24_576, levels: GEMINI_3_LEVELS, onByDefault: false },
    limits: { free: { rpm: 15, tpm: 250_000, rpd: 1000 }, '1': { rpm: 4000, tpm: 4_000_000 }, '2': { rpm: 10_000, tpm: 10_000_000, rpd: 350_000 }, '3': { rpm: 30_000, tpm: 30_000_000 } },
  },
  // An embedding model: served, but not for generateContent (Google's 404 names the method).
  'gemini-embedding-001': {
    methods: ['embedContent', 'batchEmbedContents', 'countTokens'],
    inputTokenLimit: 2048,
    outputTokenLimit: 0,
    tokensPerPdfPage: 258,
    limits: { free: { rpm: 100, tpm: 30_000, rpd: 1000 }, '1': { rpm: 3000, tpm: 1_000_000 }, '2': { rpm: 5000, tpm: 5_000_000 }, '3': { rpm: 10_000, tpm: 10_000_000 } },
  },
};

/** Largest inline request body, bytes: 100 MB since 2026-01-12 (Google's "new file limits" announcement). */
export const INLINE_PAYLOAD_LIMIT_BYTES = 100 * 1024 * 1024;
