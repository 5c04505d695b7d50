import { z } from 'zod';
import { MODELS, TIERS, type Tier } from '../main/models/catalogue.ts';

export const FAULT_KINDS = ['429', '500', '503', '504', 'stall', 'reset', 'malformed', 'max_tokens', 'safety'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const latencySchema = z
  .object({
    /** Median latency of a small request, ms (before the time scale). */
    medianMs: z.number().nonnegative(),
    /** Log-normal spread: 0 = fixed, 0.5 = a long tail (p99 ≈ 3 × median). */
    sigma: z.number().nonnegative().default(0.5),
    /** Extra ms per 1,000 input tokens (prefill). */
    perKiloTokenMs: z.number().nonnegative().default(0),
  })
  .strict();

const quotaSchema = z.object({ rpm: z.number().int().positive().optional(), tpm: z.number().int().positive().optional(), rpd: z.number().int().positive().optional() }).strict();

const scriptedFaultSchema = z.object({ model: z.string().optional(), fault: z.enum(FAULT_KINDS), count: z.number().int().positive() }).strict();

export const emulatorConfigSchema = z
  .object({
    /** Multiplies every latency and every quota window: 0.1 runs ten times faster. Default 1. */
    timeScale: z.number().positive().default(1),
    /** Latency per model; models not listed use `defaultLatency`. */
    latency: z.record(z.string(), latencySchema).default({
      'gemini-2.5-flash': { medianMs: 1800, sigma: 0.45, perKiloTokenMs: 60 },
      'gemini-2.5-flash-lite': { medianMs: 900, sigma: 0.4, perKiloTokenMs: 30 },
      'gemini-2.5-pro': { medianMs: 9000, sigma: 0.5, perKiloTokenMs: 150 },
    }),
    defaultLatency: latencySchema.default({ medianMs: 1500, sigma: 0.5, perKiloTokenMs: 50 }),
    /** Quotas: a published tier's numbers, "none", or explicit per-model limits. Default "none". */
    quota: z.union([z.enum([...(TIERS as [Tier, ...Tier[]]), 'none']), z.record(z.string(), quotaSchema)]).default('none'),
    /** Probability per generateContent request of each fault, 0..1. */
    faultRates: z.partialRecord(z.enum(FAULT_KINDS), z.number().min(0).max(1)).default({}),
    /** Faults to inject next, in order, e.g. {model: 'gemini-2.5-pro', fault: '503', count: 20}. */
    scriptedFaults: z.array(scriptedFaultSchema).default([]),
    /** Keys accepted; empty accepts any non-empty key. */
    acceptedKeys: z.array(z.string()).default([]),
    /** Models served besides docpool's known ones. */
    extraModels: z.array(z.string()).default([]),
    /** Largest request body accepted, bytes (the inline limit). Default 100 MiB. */
    maxPayloadBytes: z.number().int().positive().default(100 * 1024 * 1024),
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
export function quotaFor(config: EmulatorConfig, model: string): { rpm?: number; tpm?: number; rpd?: number } {
  if (config.quota === 'none') return {};
  if (typeof config.quota === 'string') return MODELS[model]?.limits[config.quota] ?? {};
  return config.quota[model] ?? {};
}

export function servesModel(config: EmulatorConfig, model: string): boolean {
  return model in MODELS || config.extraModels.includes(model);
}
