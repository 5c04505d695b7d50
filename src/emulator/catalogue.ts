/**
 * The models the emulator serves and the rules each one enforces, taken from Google's
 * documentation and captured answers, never from docpool's own tables: where the two agree, the
 * emulator would test nothing.
 *
 * Sources (searched 2026-12-06):
 * - ai.google.dev/gemini-api/docs/deprecations: release and shutdown dates. gemini-2.5-pro and
 *   gemini-2.5-flash were shut down on 2026-12-01; after that a request for them is answered as for
 *   any model Google does not serve (404 NOT_FOUND "… is not found for API version v1beta …").
 * - ai.google.dev/gemini-api/docs/models and the 3.x model cards: 1,048,576 input and 65,536 output
 *   tokens; display names.
 * - thinking page and the Vertex "thinking" table: budgets for 2.5 (Pro 128–32,768, never off;
 *   Flash 0–24,576; Flash-Lite 512–24,576 or 0); Gemini 3 levels, 3.5 Flash-Lite thinking at
 *   MINIMAL by default, 3.7/3.8 Flash refusing MINIMAL, 3.1 Pro LOW/MEDIUM/HIGH at HIGH.
 * - document-processing and media-resolution pages: 258 tokens a PDF page for 2.x; Gemini 3 at
 *   LOW 280, MEDIUM 560 (the default for PDFs), HIGH 1,120.
 * - pricing page (transcriptions of 2026-09-20 and 2026-10-07): the emulator prices usage only to
 *   enforce a configured spend cap.
 * - rate-limits page: tier numbers published for 2.5 (mid/late 2025); for 3.x Google publishes
 *   none for most tiers (AI Studio shows each project's). Where none is published, the numbers
 *   below are a project's as the emulator plays it: chosen, not quoted, so a client must learn
 *   them from the 429 (QuotaFailure.quotaValue) as it must from Google.
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
  /** Gemini 3 takes `thinkingLevel`, only these; a 2.5 model refuses it. */
  readonly levels?: readonly string[];
  /** Gemini 3: the level it thinks at when the request says nothing. */
  readonly defaultLevel?: string;
  /** 2.5: thinks (dynamically) when the request says nothing, unless off by default (Flash-Lite). */
  readonly onByDefault: boolean;
}

/** Tokens a PDF page costs: one figure (2.x), or by `mediaResolution` (Gemini 3; MEDIUM when unspecified). */
export type PageTokens = number | { readonly LOW: number; readonly MEDIUM: number; readonly HIGH: number };

export interface EmulatedModel {
  readonly displayName: string;
  /** Methods the model serves; anything else is Google's 404 "not supported for {method}". */
  readonly methods: readonly string[];
  readonly inputTokenLimit: number;
  readonly outputTokenLimit: number;
  readonly pdfPageTokens: PageTokens;
  readonly thinking?: ThinkingRule;
  readonly limits: Readonly<Record<EmulatedTier, QuotaLimits>>;
  /** USD per 1M tokens at the standard tier (output includes thinking). */
  readonly price: { readonly input: number; readonly output: number };
  /** From this day (YYYY-MM-DD, on the emulator's clock) the model is gone: every route answers 404. */
  readonly shutdown?: string;
}

const GENERATE = ['generateContent', 'countTokens', 'streamGenerateContent', 'batchGenerateContent'];
const ALL_LEVELS = ['MINIMAL', 'LOW', 'MEDIUM', 'HIGH'];
const NO_MINIMAL = ['LOW', 'MEDIUM', 'HIGH'];
const GEMINI_3_PAGE: PageTokens = { LOW: 280, MEDIUM: 560, HIGH: 1120 };
const CONTEXT = { inputTokenLimit: 1_048_576, outputTokenLimit: 65_536 };
const FLASH_BUDGET = { canDisable: true, minBudget: 1, maxBudget: 24_576 };
const NO_FREE_TIER = { rpm: 0, tpm: 0, rpd: 0 };

export const CATALOGUE: Readonly<Record<string, EmulatedModel>> = {
  'gemini-3.8-flash': {
    displayName: 'Gemini 3.8 Flash',
    methods: GENERATE,
    ...CONTEXT,
    pdfPageTokens: GEMINI_3_PAGE,
    thinking: { ...FLASH_BUDGET, levels: NO_MINIMAL, defaultLevel: 'MEDIUM', onByDefault: true },
    // A new tier-1 project's limits as the emulator plays them (none published): the extraction model binds.
    limits: {
      free: { rpm: 5, tpm: 250_000, rpd: 20 },
      '1': { rpm: 150, tpm: 2_000_000, rpd: 10_000 },
      '2': { rpm: 2000, tpm: 3_000_000, rpd: 100_000 },
      '3': { rpm: 10_000, tpm: 8_000_000 },
    },
    price: { input: 0.75, output: 3.75 },
  },
  'gemini-3.7-flash': {
    displayName: 'Gemini 3.7 Flash',
    methods: GENERATE,
    ...CONTEXT,
    pdfPageTokens: GEMINI_3_PAGE,
    thinking: { ...FLASH_BUDGET, levels: NO_MINIMAL, defaultLevel: 'MEDIUM', onByDefault: true },
    // Tier 2's input TPM of 3,000,000 is captured in a 429 (2026-08).
    limits: {
      free: NO_FREE_TIER,
      '1': { rpm: 1000, tpm: 2_000_000, rpd: 10_000 },
      '2': { rpm: 2000, tpm: 3_000_000, rpd: 100_000 },
      '3': { rpm: 10_000, tpm: 8_000_000 },
    },
    price: { input: 0.75, output: 3.75 },
  },
  'gemini-3.6-flash': {
    displayName: 'Gemini 3.6 Flash',
    methods: GENERATE,
    ...CONTEXT,
    pdfPageTokens: GEMINI_3_PAGE,
    thinking: { ...FLASH_BUDGET, levels: ALL_LEVELS, defaultLevel: 'MEDIUM', onByDefault: true },
    limits: {
      free: NO_FREE_TIER,
      '1': { rpm: 1000, tpm: 1_000_000, rpd: 10_000 },
      '2': { rpm: 2000, tpm: 3_000_000, rpd: 100_000 },
      '3': { rpm: 10_000, tpm: 8_000_000 },
    },
    price: { input: 1.5, output: 7.5 },
  },
  'gemini-3.5-flash': {
    displayName: 'Gemini 3.5 Flash',
    methods: GENERATE,
    ...CONTEXT,
    pdfPageTokens: GEMINI_3_PAGE,
    thinking: { ...FLASH_BUDGET, levels: ALL_LEVELS, defaultLevel: 'MEDIUM', onByDefault: true },
    limits: {
      free: { rpm: 5, tpm: 250_000, rpd: 20 },
      '1': { rpm: 1000, tpm: 1_000_000, rpd: 10_000 },
      '2': { rpm: 2000, tpm: 3_000_000, rpd: 100_000 },
      '3': { rpm: 10_000, tpm: 8_000_000 },
    },
    price: { input: 1.5, output: 9 },
  },
  'gemini-3.5-flash-lite': {
    displayName: 'Gemini 3.5 Flash-Lite',
    methods: GENERATE,
    ...CONTEXT,
    pdfPageTokens: GEMINI_3_PAGE,
    thinking: { canDisable: true, minBudget: 512, maxBudget: 24_576, levels: ALL_LEVELS, defaultLevel: 'MINIMAL', onByDefault: false },
    // Tier 2 as published 2026-07; tier 1 as the emulator plays a new project (none published).
    limits: {
      free: { rpm: 15, tpm: 250_000, rpd: 1000 },
      '1': { rpm: 1000, tpm: 4_000_000 },
      '2': { rpm: 10_000, tpm: 10_000_000, rpd: 350_000 },
      '3': { rpm: 30_000, tpm: 30_000_000 },
    },
    price: { input: 0.3, output: 2.5 },
  },
  'gemini-3.1-flash-lite': {
    displayName: 'Gemini 3.1 Flash-Lite',
    methods: GENERATE,
    ...CONTEXT,
    pdfPageTokens: GEMINI_3_PAGE,
    thinking: { canDisable: true, minBudget: 512, maxBudget: 24_576, levels: ALL_LEVELS, defaultLevel: 'MINIMAL', onByDefault: false },
    limits: {
      free: { rpm: 15, tpm: 250_000, rpd: 1000 },
      '1': { rpm: 4000, tpm: 4_000_000 },
      '2': { rpm: 10_000, tpm: 10_000_000 },
      '3': { rpm: 30_000, tpm: 30_000_000 },
    },
    price: { input: 0.25, output: 1.5 },
    shutdown: '2027-05-07',
  },
  'gemini-3.1-pro-preview': {
    displayName: 'Gemini 3.1 Pro Preview',
    methods: GENERATE,
    ...CONTEXT,
    pdfPageTokens: GEMINI_3_PAGE,
    thinking: { canDisable: false, minBudget: 128, maxBudget: 32_768, levels: NO_MINIMAL, defaultLevel: 'HIGH', onByDefault: true },
    limits: {
      free: NO_FREE_TIER,
      '1': { rpm: 150, tpm: 2_000_000, rpd: 10_000 },
      '2': { rpm: 1000, tpm: 5_000_000, rpd: 50_000 },
      '3': { rpm: 2000, tpm: 8_000_000 },
    },
    price: { input: 2, output: 12 },
  },
  'gemini-2.5-flash-lite': {
    displayName: 'Gemini 2.5 Flash-Lite',
    methods: GENERATE,
    ...CONTEXT,
    pdfPageTokens: 258,
    thinking: { canDisable: true, minBudget: 512, maxBudget: 24_576, onByDefault: false },
    limits: {
      free: { rpm: 15, tpm: 250_000, rpd: 1000 },
      '1': { rpm: 4000, tpm: 4_000_000 },
      '2': { rpm: 10_000, tpm: 10_000_000 },
      '3': { rpm: 30_000, tpm: 30_000_000 },
    },
    price: { input: 0.1, output: 0.4 },
  },
  'gemini-2.5-pro': {
    displayName: 'Gemini 2.5 Pro',
    methods: GENERATE,
    ...CONTEXT,
    pdfPageTokens: 258,
    thinking: { canDisable: false, minBudget: 128, maxBudget: 32_768, onByDefault: true },
    limits: {
      free: { rpm: 5, tpm: 250_000, rpd: 100 },
      '1': { rpm: 150, tpm: 2_000_000, rpd: 10_000 },
      '2': { rpm: 1000, tpm: 5_000_000, rpd: 50_000 },
      '3': { rpm: 2000, tpm: 8_000_000 },
    },
    price: { input: 1.25, output: 10 },
    shutdown: '2026-12-01',
  },
  'gemini-2.5-flash': {
    displayName: 'Gemini 2.5 Flash',
    methods: GENERATE,
    ...CONTEXT,
    pdfPageTokens: 258,
    thinking: { ...FLASH_BUDGET, onByDefault: true },
    limits: {
      free: { rpm: 10, tpm: 250_000, rpd: 250 },
      '1': { rpm: 1000, tpm: 1_000_000, rpd: 10_000 },
      '2': { rpm: 2000, tpm: 3_000_000, rpd: 100_000 },
      '3': { rpm: 10_000, tpm: 8_000_000 },
    },
    price: { input: 0.3, output: 2.5 },
    shutdown: '2026-12-01',
  },
  // An embedding model: served, but not for generateContent (Google's 404 names the method).
  'gemini-embedding-001': {
    displayName: 'Gemini Embedding 001',
    methods: ['embedContent', 'batchEmbedContents', 'countTokens'],
    inputTokenLimit: 2048,
    outputTokenLimit: 0,
    pdfPageTokens: 258,
    limits: {
      free: { rpm: 100, tpm: 30_000, rpd: 1000 },
      '1': { rpm: 3000, tpm: 1_000_000 },
      '2': { rpm: 5000, tpm: 5_000_000 },
      '3': { rpm: 10_000, tpm: 10_000_000 },
    },
    price: { input: 0.15, output: 0 },
  },
};

/** Largest inline request body, bytes: 100 MB since 2026-01-12 (Google's "new file limits" announcement). */
export const INLINE_PAYLOAD_LIMIT_BYTES = 100 * 1024 * 1024;

/** Tokens a PDF page costs at a request's media resolution (`MEDIA_RESOLUTION_LOW`, …; MEDIUM when unspecified). */
export function pageTokensAt(tokens: PageTokens, resolution: string | undefined): number {
  if (typeof tokens === 'number') return tokens;
  const level = (resolution ?? '').replace(/^MEDIA_RESOLUTION_/, '');
  return level === 'LOW' || level === 'HIGH' ? tokens[level] : tokens.MEDIUM;
}

/**
 * The v1beta Model resource as models.get and models.list return it (ai.google.dev/api/models:
 * name, baseModelId, version, displayName, description, token limits, supportedGenerationMethods,
 * sampling defaults, thinking).
 */
export function modelResource(id: string, model: EmulatedModel): Record<string, unknown> {
  return {
    name: `models/${id}`,
    baseModelId: id,
    version: /-preview$/.test(id) ? 'preview' : '001',
    displayName: model.displayName,
    description: `${model.displayName}`,
    inputTokenLimit: model.inputTokenLimit,
    outputTokenLimit: model.outputTokenLimit,
    supportedGenerationMethods: model.methods,
    ...(model.thinking ? { temperature: 1, topP: 0.95, topK: 64, maxTemperature: 2, thinking: true } : {}),
  };
}
