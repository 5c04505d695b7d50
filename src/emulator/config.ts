import { z } from 'zod';
import { MISREAD_KINDS } from './misread.ts';
import { CATALOGUE, EMULATED_TIERS, type EmulatedModel, type EmulatedTier, INLINE_PAYLOAD_LIMIT_BYTES, type QuotaLimits } from './catalogue.ts';

/**
 * Faults a request can be given, each what Google really answers:
 * - `429` the quota body with a short RetryInfo; `429_bare` the capacity 429 with no details;
 * - `500`, `503` (overloaded), `504`; `stall` (never answered), `reset` (connection cut);
 * - `malformed` (JSON cut short), `max_tokens` (answer truncated);
 * - `safety` / `blocked_other`: a 200 with no candidate and promptFeedback.blockReason;
 * - `finish_safety`, `recitation`, `finish_other`: a candidate whose answer was withheld;
 * - `location`, `billing` (400 FAILED_PRECONDITION) and `permission` (403): refusals that hold
 *   for every request of the project, so they are usually set for the whole server (`refuse`).
 */
export const FAULT_KINDS = [
  '429',
  '429_bare',
  '500',
  '503',
  '504',
  'stall',
  'reset',
  'malformed',
  'max_tokens',
  'safety',
  'blocked_other',
  'finish_safety',
  'recitation',
  'finish_other',
  'location',
  'billing',
  'permission',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const latencySchema = z
  .object({
    /** Median latency of a small request, ms (before the time scale). */
    medianMs: z.number().nonnegative(),
    /** Log-normal spread: 0 = fixed, 0.5 = a long tail (p99 ≈ 3 × median). */
    sigma: z.number().nonnegative().default(0.5),
    /** Extra ms per 1,000 input tokens (prefill). */
    perKiloTokenMs: z.number().nonnegative().default(0),
    /** Extra ms per thinking token (decode): a model that thinks 1,000 tokens takes seconds longer. */
    perThinkingTokenMs: z.number().nonnegative().default(0),
  })
  .strict();

const quotaSchema = z
  .object({ rpm: z.number().int().positive().optional(), tpm: z.number().int().positive().optional(), rpd: z.number().int().positive().optional() })
  .strict();

const outageSchema = z
  .object({
    model: z.string().optional(),
    status: z.union([z.literal(503), z.literal(500)]).default(503),
    startsInSeconds: z.number().nonnegative().default(0),
    seconds: z.number().positive(),
  })
  .strict();

const scriptedFaultSchema = z.object({ model: z.string().optional(), fault: z.enum(FAULT_KINDS), count: z.number().int().positive() }).strict();

export const emulatorConfigSchema = z
  .object({
    /** Multiplies every latency and every quota window: 0.1 runs ten times faster. Default 1. */
    timeScale: z.number().positive().default(1),
    /** Latency per model; models not listed use `defaultLatency`. */
    latency: z.record(z.string(), latencySchema).default({
      // 3.5 Flash-Lite answers in "roughly two seconds" with no thinking (model card); the Flash
      // models decode ~275 tokens/s, a thinking request seconds longer (third-party measurements).
      'gemini-3.5-flash-lite': { medianMs: 1200, sigma: 0.4, perKiloTokenMs: 30, perThinkingTokenMs: 2 },
      'gemini-3.8-flash': { medianMs: 3500, sigma: 0.5, perKiloTokenMs: 60, perThinkingTokenMs: 3.6 },
      'gemini-2.5-flash-lite': { medianMs: 900, sigma: 0.4, perKiloTokenMs: 30, perThinkingTokenMs: 2 },
    }),
    defaultLatency: latencySchema.default({ medianMs: 1500, sigma: 0.5, perKiloTokenMs: 50, perThinkingTokenMs: 4 }),
    /**
     * The Flex tier (`serviceTier: "flex"`): Google targets 1–15 minutes and sheds requests when
     * short of capacity (ai.google.dev/gemini-api/docs/flex-inference and /optimization). Latency
     * replaces the model's median (its other terms still apply); past `capacity` flex requests in
     * flight to a model, a new one is shed with a capacity 429. Usage is billed at half price.
     */
    flex: z
      .object({
        medianMs: z.number().nonnegative().default(300_000),
        sigma: z.number().nonnegative().default(0.5),
        capacity: z.number().int().positive().default(5_000),
      })
      .strict()
      .default({ medianMs: 300_000, sigma: 0.5, capacity: 5_000 }),
    /**
     * The Batch API. A job waits `queueMs` in the queue, then runs `runMs` plus `perRequestMs` per
     * request (emulated ms; a real 3-request job took 37 s queued and 53 s running). A share
     * `requestErrorRate` of its requests fail with INTERNAL inside a job that still succeeds.
     * `outcomes` gives the nth job created (1-based) another end: `failed`, `expired` (never
     * picked up, expired after 48 h) or `cancelled` (by someone else, as it starts).
     */
    batch: z
      .object({
        queueMs: z.number().nonnegative().default(40_000),
        runMs: z.number().nonnegative().default(50_000),
        perRequestMs: z.number().nonnegative().default(20),
        requestErrorRate: z.number().min(0).max(1).default(0),
        outcomes: z.record(z.string().regex(/^\d+$/), z.enum(['failed', 'expired', 'cancelled'])).default({}),
      })
      .strict()
      .default({ queueMs: 40_000, runMs: 50_000, perRequestMs: 20, requestErrorRate: 0, outcomes: {} }),
    /** Requests in flight to one model at which its latency doubles (it grows linearly with load). Default 256. */
    loadKnee: z.number().positive().default(256),
    /** Quotas: a published tier's numbers, "none", or explicit per-model limits. Default "none". */
    quota: z.union([z.enum([...(EMULATED_TIERS as [EmulatedTier, ...EmulatedTier[]]), 'none']), z.record(z.string(), quotaSchema)]).default('none'),
    /** Probability per generateContent request of each fault, 0..1. */
    faultRates: z.partialRecord(z.enum(FAULT_KINDS), z.number().min(0).max(1)).default({}),
    /** Faults to inject next, in order, e.g. {model: 'gemini-2.5-pro', fault: '503', count: 20}. */
    scriptedFaults: z.array(scriptedFaultSchema).default([]),
    /**
     * Answers misread at this rate: digits of an amount swapped, the subtotal given as the total, a
     * year off by one, a line item dropped (`kinds` narrows them). Decided per request by the seed,
     * the model and the request's content: asking the same again misreads the same way.
     */
    misread: z
      .object({ rate: z.number().min(0).max(1), kinds: z.array(z.enum(MISREAD_KINDS)).min(1).optional() })
      .strict()
      .optional(),
    /**
     * Outages that last: from `startsInSeconds` after this config is applied, for `seconds`, every
     * generateContent request to `model` (every model when absent) gets `status` (503 "The model
     * is overloaded", or 500). Emulated seconds: shrunk by the time scale like everything else.
     */
    outages: z.array(outageSchema).default([]),
    /** A refusal every request gets, as when the project's location or billing is not allowed: `location`, `billing` or `permission`. */
    refuse: z.enum(['location', 'billing', 'permission']).optional(),
    /** Emulated wall-clock time at start (ISO); the daily quota resets at midnight Pacific on this clock. Default: now. */
    clockStart: z.string().datetime().optional(),
    /**
     * Tokens a PDF page costs per model, instead of the catalogue's rate (Gemini 3 bills 280 a page
     * at LOW media resolution, 560 at MEDIUM): clients that estimate a fixed rate are off by as much.
     */
    pdfPageTokens: z.record(z.string(), z.number().int().positive()).default({}),
    /**
     * A spend cap the project passes after this many USD (priced at the emulator's own price
     * table): every later request gets Google's spend-cap 429. `kind` picks the wording: the
     * billing account's monthly cap (captured 2026-05), a project spend cap, or an empty prepaid
     * balance. Since 2026 every billing tier has such caps (billing page).
     */
    spendCap: z
      .object({ usd: z.number().nonnegative(), kind: z.enum(['billing-account', 'project', 'prepay']).default('billing-account') })
      .strict()
      .optional(),
    /** Keys accepted; empty accepts any non-empty key. */
    acceptedKeys: z.array(z.string()).default([]),
    /** Models served besides the catalogue's, with 2.5 Flash-Lite's rules (a tuned model, a new release). */
    extraModels: z.array(z.string()).default([]),
    /** Largest request body accepted, bytes (the inline limit). Default 100 MB, Google's limit since 2026-01-12. */
    maxPayloadBytes: z.number().int().positive().default(INLINE_PAYLOAD_LIMIT_BYTES),
    /** Seed for fault draws and latency, so a run can be repeated. */
    seed: z.number().int().default(1),
  })
  .strict();

export type EmulatorConfig = z.infer<typeof emulatorConfigSchema>;
export type EmulatorConfigInput = z.input<typeof emulatorConfigSchema>;
export type ScriptedFault = z.infer<typeof scriptedFaultSchema>;

export function parseEmulatorConfig(input: unknown): EmulatorConfig {
  const parsed = emulatorConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`emulator config ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** The quota limits in force for a model under a config. */
export type Outage = z.infer<typeof outageSchema>;

export function quotaFor(config: EmulatorConfig, model: string): QuotaLimits {
  if (config.quota === 'none') return {};
  if (typeof config.quota === 'string') return CATALOGUE[model]?.limits[config.quota] ?? {};
  return config.quota[model] ?? {};
}

/** The rules a served model follows; undefined for a model the server does not know or no longer serves (past its shutdown). */
export function rulesFor(config: EmulatorConfig, model: string): EmulatedModel | undefined {
  const rules = CATALOGUE[model] ?? (config.extraModels.includes(model) ? CATALOGUE['gemini-2.5-flash-lite'] : undefined);
  if (!rules || (rules.shutdown !== undefined && rules.shutdown <= today(config))) return undefined;
  const pageTokens = config.pdfPageTokens[model];
  return pageTokens !== undefined ? { ...rules, pdfPageTokens: pageTokens } : rules;
}

/** Every model served today, by id (models.list). */
export function servedModels(config: EmulatorConfig): Array<[string, EmulatedModel]> {
  return [...Object.keys(CATALOGUE), ...config.extraModels].flatMap((id) => {
    const rules = rulesFor(config, id);
    return rules ? [[id, rules] as [string, EmulatedModel]] : [];
  });
}

/** The emulated day (UTC) a shutdown date is compared with: the configured clock start, else today. */
function today(config: EmulatorConfig): string {
  return new Date(config.clockStart ? Date.parse(config.clockStart) : Date.now()).toISOString().slice(0, 10);
}
