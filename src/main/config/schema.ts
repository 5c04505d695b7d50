import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { UsageError, withoutCredentials } from '../errors.ts';
import { MEDIA_RESOLUTIONS, TIERS, type Tier } from '../models/catalogue.ts';
import { billingTier, Pricing } from '../models/pricing.ts';
import { CONFIG_FILE, DEFAULTS, MAX_TIMER_MS } from './defaults.ts';
import { readJsonFile } from './parsers.ts';

const positiveInt = z.number().int().positive();
const milliseconds = positiveInt.max(MAX_TIMER_MS, `at most ${MAX_TIMER_MS} ms (about 24.8 days), the longest timer Node keeps`);

/** Every option, its default from DEFAULTS (where the reasons are). Validated once; the result is frozen. */
const configSchema = z
  .object({
    /** Pages sent for classification (the first N). */
    pages: positiveInt.max(1000).default(DEFAULTS.pages),
    /** Worker threads for PDF preparation. Default: available cores. */
    workers: positiveInt.max(256).default(availableParallelism()),
    maxFileMb: z.number().positive().default(DEFAULTS.maxFileMb),
    taskTimeoutMs: milliseconds.default(DEFAULTS.taskTimeoutMs),
    /** File globs, relative to each folder given: every .pdf, any case. */
    include: z
      .array(z.string().min(1))
      .min(1)
      .default([...DEFAULTS.include]),
    /** Rate-limit tier whose published limits are the defaults. */
    tier: z.enum(TIERS as [Tier, ...Tier[]]).default(DEFAULTS.tier),
    /** Model for classification (and for both answers with --passes 1). */
    classifyModel: z.string().min(1).default(DEFAULTS.classifyModel),
    /** Model for field extraction. */
    extractModel: z.string().min(1).default(DEFAULTS.extractModel),
    mediaResolution: z
      .object({
        classify: z.enum(MEDIA_RESOLUTIONS).default(DEFAULTS.mediaResolution.classify),
        extract: z.enum(MEDIA_RESOLUTIONS).default(DEFAULTS.mediaResolution.extract),
        'one-pass': z.enum(MEDIA_RESOLUTIONS).default(DEFAULTS.mediaResolution['one-pass']),
      })
      .strict()
      .default({ ...DEFAULTS.mediaResolution }),
    /** Per-model requests-per-minute overrides. */
    rpm: z.record(z.string(), positiveInt).default({}),
    /** Per-model input-tokens-per-minute overrides. */
    tpm: z.record(z.string(), positiveInt).default({}),
    /** Per-model ceilings on requests in flight. Default: the limits policy (config/limits.ts). */
    concurrency: z.record(z.string(), positiveInt).default({}),
    /** Against an emulator run at --time-scale f, 60 000 × f, so docpool paces itself on the same clock. */
    quotaWindowMs: milliseconds.default(DEFAULTS.quotaWindowMs),
    /** Where answers come from. Default: gemini when GEMINI_API_KEY or GOOGLE_API_KEY is set, else offline. */
    provider: z.enum(['gemini', 'offline']).optional(),
    /** Answer a file whose API calls failed for good with the offline rules (records keep the API error). */
    fallback: z.enum(['offline']).optional(),
    /** Gemini endpoint (an emulator, a proxy). Default: Google, or GOOGLE_GEMINI_BASE_URL. */
    baseUrl: z.string().url().optional(),
    /** What is sent: the first pages as a PDF, their extracted text, or whichever is cheaper when the text layer is good. */
    inputMode: z.enum(['pdf', 'text', 'auto']).default(DEFAULTS.inputMode),
    /**
     * Requests per file: "2" classifies, then extracts the classes that matter on the extraction
     * model; "1" asks for both in one request on the classification model; "auto" asks once, then
     * again on the extraction model for the profile's secondPass classes or an invalid answer.
     */
    passes: z.enum(['1', '2', 'auto']).default(DEFAULTS.passes),
    /** Profile: a built-in name or a JSON file. */
    profile: z.string().min(1).default(DEFAULTS.profile),
    /** Results file, .jsonl, .csv or .xlsx. */
    out: z.string().min(1).default(DEFAULTS.out),
    /** LMDB state folder. */
    db: z.string().min(1).default(DEFAULTS.db),
    /** "standard", "flex" (half price, latency of minutes, requests may be shed) or "priority" (faster, up to twice the price). */
    serviceTier: z.enum(['standard', 'flex', 'priority']).default(DEFAULTS.serviceTier),
    /** Per-request deadline; its default follows the service tier (see `frozen`). */
    requestTimeoutMs: milliseconds.optional(),
    maxInflightMb: z.number().positive().default(DEFAULTS.maxInflightMb),
    maxAttempts: positiveInt.max(50).default(DEFAULTS.maxAttempts),
    retryBaseMs: milliseconds.default(DEFAULTS.retryBaseMs),
    /** Largest inline request in MB (base64 included). */
    maxInlineMb: z.number().positive().default(DEFAULTS.maxInlineMb),
    /** Prices per model, USD per 1M input and output tokens, for a model docpool does not know or to correct one. */
    price: z.record(z.string(), z.object({ inputPerMillion: z.number().nonnegative(), outputPerMillion: z.number().nonnegative() }).strict()).default({}),
    /** Also retry files that failed permanently in an earlier attempt of the same run. */
    retryFailed: z.boolean().default(false),
    /** Stop admitting files before the projected spend passes this many USD. */
    maxCost: z.number().positive().optional(),
    drainTimeoutMs: milliseconds.default(DEFAULTS.drainTimeoutMs),
    /** Files admitted but not finished. Default: the limits policy's admission window. */
    window: positiveInt.optional(),
    /**
     * Answer through the Batch API: half the standard price, its own quota, answers within 24 h
     * (usually much sooner). A stopped or killed run leaves its jobs running; the same command
     * again collects them.
     */
    batch: z.boolean().default(false),
    /** What a request that failed in `batchAttempts` jobs does: fail its file (default), or ask online at the standard price. */
    batchFallback: z.enum(['online']).optional(),
    /** Jobs one request may go through before that. */
    batchAttempts: positiveInt.max(20).default(DEFAULTS.batchAttempts),
    /** Requests per batch job at most. */
    batchSize: positiveInt.max(100_000).default(DEFAULTS.batchSize),
    /** A job is submitted once no request joined it for this long, ms. */
    batchLingerMs: milliseconds.default(DEFAULTS.batchLingerMs),
    /** First poll of a job after this many ms; then ×1.5 per poll, up to 5 minutes. */
    batchPollMs: milliseconds.default(DEFAULTS.batchPollMs),
    /**
     * A file that is or carries an e-invoice (Factur-X, ZUGFeRD, XRechnung, Peppol, UBL): answered
     * exactly from its XML, asking nobody ("prefer"); from its XML, and the model asked too, to
     * report where it read the pages otherwise ("verify"); or left to the model like any file ("ignore").
     */
    eInvoice: z.enum(['prefer', 'verify', 'ignore']).default(DEFAULTS.eInvoice),
    /** Whether a file of more than `splitPages` pages is looked at for several documents, each answered on its own pages. */
    split: z.enum(['auto', 'off']).default(DEFAULTS.split),
    splitPages: positiveInt.max(1000).default(DEFAULTS.splitPages),
    /** A Gemini answer that fails a check is asked once more (a second opinion); unset: on under `--passes auto`. */
    escalate: z.boolean().optional(),
    /** The model a second opinion is asked on; the extraction model when unset. */
    escalateModel: z.string().min(1).optional(),
    /** An answer whose class confidence is below this is flagged for review. */
    reviewBelow: z.number().min(0).max(1).default(DEFAULTS.reviewBelow),
    /** Cancel this state folder's batch jobs that are still running, and stop. */
    cancel: z.boolean().default(false),
  })
  .strict();

export type Config = Readonly<Omit<z.infer<typeof configSchema>, 'requestTimeoutMs'> & { requestTimeoutMs: number }>;
export type ConfigInput = z.input<typeof configSchema>;

/** Every model a run may ask: classification, extraction, and second opinions when they are on. */
export function modelsOf(config: Pick<Config, 'classifyModel' | 'extractModel' | 'escalateModel' | 'escalate' | 'passes'>): string[] {
  return [...new Set([config.classifyModel, config.extractModel, ...(secondOpinionsOn(config) && config.escalateModel ? [config.escalateModel] : [])])];
}

/** Whether a Gemini answer that fails a check earns a second opinion: `--escalate`, else the default of `--passes auto`. */
export function secondOpinionsOn(config: Pick<Config, 'escalate' | 'passes'>): boolean {
  return config.escalate ?? config.passes === 'auto';
}

/**
 * Builds the config from, in rising precedence: defaults, the config file (`--config` or
 * ./docpool.config.json if present), then command-line flags. Every problem names the option.
 */
export function loadConfig(flags: ConfigInput, configPath?: string): Config {
  const fromFile = readConfigFile(configPath);
  const merged = { ...fromFile, ...definedOnly(flags) };
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const option = optionName(issue.path, fromFile, flags, configPath);
    const given = issue.path.reduce<unknown>((value, key) => (value as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey], merged);
    const shown = typeof given === 'string' ? withoutCredentials(given) : given;
    throw new UsageError(`${option}: ${issue.message}${shown === undefined ? '' : ` (got ${JSON.stringify(shown)})`}`);
  }
  const base = parsed.data.baseUrl === undefined ? undefined : new URL(parsed.data.baseUrl);
  if (base && (base.username || base.password)) {
    // The Gemini client refuses a URL with credentials (and blamed the network for it); the key comes from the environment.
    throw new UsageError(
      `--base-url: ${withoutCredentials(parsed.data.baseUrl!)} carries a user or password, which the Gemini client does not send; remove it (the API key is read from GEMINI_API_KEY)`,
    );
  }
  if (parsed.data.cancel && !parsed.data.batch) throw new UsageError('--cancel: cancels batch jobs; use it with --batch');
  if (parsed.data.batch && parsed.data.serviceTier !== 'standard') {
    throw new UsageError(`--batch: the Batch API has no service tier; drop --service-tier ${parsed.data.serviceTier}`);
  }
  if (parsed.data.maxCost !== undefined) {
    const pricing = new Pricing(parsed.data.price, billingTier(parsed.data));
    const unpriced = modelsOf(parsed.data).filter((model) => !pricing.known(model));
    if (unpriced.length > 0) {
      throw new UsageError(`--max-cost: no price is known for ${unpriced.join(', ')}; give it with --price ${unpriced[0]}=INPUT/OUTPUT (USD per 1M tokens)`);
    }
  }
  return frozen(parsed.data);
}

/**
 * A coordinator's settings as a queue worker reads them from Redis (the coordinator's own Config,
 * checked again here: a worker of another docpool version says what it cannot read).
 */
export function configFromSettings(settings: unknown, own: Pick<ConfigInput, 'workers'>): Config {
  const parsed = configSchema.safeParse({ ...(settings as object), ...definedOnly(own) });
  if (!parsed.success)
    throw new UsageError(
      `the run's settings in Redis: ${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message} (is this worker the same docpool version as the coordinator?)`,
    );
  return frozen(parsed.data);
}

/** The validated options with the defaults that depend on others (the request deadline follows the tier). */
function frozen(data: z.infer<typeof configSchema>): Config {
  return Object.freeze({
    ...data,
    requestTimeoutMs: data.requestTimeoutMs ?? (data.serviceTier === 'flex' ? DEFAULTS.requestTimeoutMs.flex : DEFAULTS.requestTimeoutMs.standard),
  });
}

/** Names a bad setting the way the user gave it: `--base-url` for a flag, `file: "baseUrl"` for a config key. */
function optionName(path: readonly PropertyKey[], fromFile: Record<string, unknown>, flags: ConfigInput, configPath: string | undefined): string {
  const key = String(path[0] ?? '');
  if (!key) return '(config)';
  const rest = path.slice(1).map(String).join('.');
  const fromFlag = (flags as Record<string, unknown>)[key] !== undefined || !(key in fromFile);
  if (fromFlag) return `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}${rest ? ` ${rest}` : ''}`;
  return `${configPath ?? CONFIG_FILE}: "${[key, ...path.slice(1).map(String)].join('.')}"`;
}

function readConfigFile(configPath: string | undefined): Record<string, unknown> {
  const path = resolve(configPath ?? CONFIG_FILE);
  if (!configPath && !existsSync(path)) return {};
  return readJsonFile('--config', path);
}

function definedOnly(flags: ConfigInput): Record<string, unknown> {
  return Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined));
}
