import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { invalidOption, UsageError, withoutCredentials } from './errors.ts';
import { MEDIA_RESOLUTIONS, type MediaResolution, MODELS, TIERS, type Tier } from './models/catalogue.ts';
import type { StepResolutions } from './models/request-budget.ts';
import { type BillingTier, Pricing } from './models/pricing.ts';

export const DEFAULT_CLASSIFY_MODEL = 'gemini-3.5-flash-lite';
export const DEFAULT_EXTRACT_MODEL = 'gemini-3.8-flash';

/** The default config file looked for in the working directory. */
export const CONFIG_FILE = 'docpool.config.json';

const positiveInt = z.number().int().positive();
/**
 * Node's timers hold at most 2^31 - 1 ms (~24.8 days); a larger delay fires after 1 ms, which would
 * time out every request at once. Refused with the bound named.
 */
export const MAX_TIMER_MS = 2_147_483_647;
const milliseconds = positiveInt.max(MAX_TIMER_MS, `at most ${MAX_TIMER_MS} ms (about 24.8 days), the longest timer Node keeps`);

/** Every option with its default. Validated once; the result is frozen. */
const configSchema = z
  .object({
    /** Pages sent for classification (the first N). Default 5. */
    pages: positiveInt.max(1000).default(5),
    /** Worker threads for PDF preparation. Default: available cores. */
    workers: positiveInt.max(256).default(availableParallelism()),
    /** Files above this size fail with FILE_TOO_LARGE without being read. Default 100 MiB. */
    maxFileMb: z.number().positive().default(100),
    /** Per-file deadline for preparation in ms. Default 30 000. */
    taskTimeoutMs: milliseconds.default(30_000),
    /** File globs, relative to each folder given. Default: every .pdf, any case. */
    include: z.array(z.string().min(1)).min(1).default(['**/*.pdf']),
    /** Rate-limit tier whose published limits are the defaults. Default "1". */
    tier: z.enum(TIERS as [Tier, ...Tier[]]).default('1'),
    /**
     * Model for classification (and for both answers with --passes 1). Default gemini-3.5-flash-lite:
     * Google's replacement for 2.5 Flash, the cheapest current model with no shutdown date, and it
     * thinks at MINIMAL by default (a label needs no thought).
     */
    classifyModel: z.string().min(1).default(DEFAULT_CLASSIFY_MODEL),
    /**
     * Model for field extraction. Default gemini-3.8-flash: Google's replacement for 2.5 Pro, at a
     * quarter of 3.5 Flash's output price until 2026-12-31 (half after), thinking at LOW.
     */
    extractModel: z.string().min(1).default(DEFAULT_EXTRACT_MODEL),
    /**
     * How finely each step reads its pages on Gemini 3 (tokens a PDF page costs: low 280, medium 560,
     * high 1,120). Default classify low (a label needs the layout and the headings, not the digits),
     * extract and one-pass medium (amounts and dates must be read exactly). 2.x models ignore it.
     */
    mediaResolution: z
      .object({
        classify: z.enum(MEDIA_RESOLUTIONS).default('low'),
        extract: z.enum(MEDIA_RESOLUTIONS).default('medium'),
        'one-pass': z.enum(MEDIA_RESOLUTIONS).default('medium'),
      })
      .strict()
      .default({ classify: 'low', extract: 'medium', 'one-pass': 'medium' }),
    /** Per-model requests-per-minute overrides. */
    rpm: z.record(z.string(), positiveInt).default({}),
    /** Per-model input-tokens-per-minute overrides. */
    tpm: z.record(z.string(), positiveInt).default({}),
    /** Per-model ceilings on requests in flight. Default: half the RPM, at least 32, at most 1,000 (never above the RPM); 15 × RPM with Flex. */
    concurrency: z.record(z.string(), positiveInt).default({}),
    /**
     * Length of a quota window in ms. Google counts per minute (60 000); against an emulator run
     * at --time-scale f, set this to 60 000 × f so docpool paces itself on the same clock.
     */
    quotaWindowMs: milliseconds.default(60_000),
    /** Where answers come from. Default: gemini when GEMINI_API_KEY or GOOGLE_API_KEY is set, else offline. */
    provider: z.enum(['gemini', 'offline']).optional(),
    /** Answer a file whose API calls failed for good with the offline rules (records keep the API error). */
    fallback: z.enum(['offline']).optional(),
    /** Gemini endpoint (an emulator, a proxy). Default: Google, or GOOGLE_GEMINI_BASE_URL. */
    baseUrl: z.string().url().optional(),
    /** What is sent: the first pages as a PDF, their extracted text, or whichever is cheaper when the text layer is good. Default pdf. */
    inputMode: z.enum(['pdf', 'text', 'auto']).default('pdf'),
    /**
     * Requests per file: "2" classifies, then extracts the classes that matter on the extraction
     * model; "1" asks for both in one request on the classification model; "auto" asks once, then
     * again on the extraction model for the profile's secondPass classes or an invalid answer. Default 2.
     */
    passes: z.enum(['1', '2', 'auto']).default('2'),
    /** Profile: a built-in name or a JSON file. Default finance. */
    profile: z.string().min(1).default('finance'),
    /** Results file, .jsonl or .csv. Default results.jsonl. */
    out: z.string().min(1).default('results.jsonl'),
    /** LMDB state folder. Default .docpool. */
    db: z.string().min(1).default('.docpool'),
    /**
     * Gemini's service tier: "standard", "flex" (half price, latency of minutes, requests may be
     * shed) or "priority" (faster, up to twice the price). Default standard.
     */
    serviceTier: z.enum(['standard', 'flex', 'priority']).default('standard'),
    /** Per-request deadline in ms. Default 120 000; 1 200 000 with Flex (Google targets 1–15 minutes). */
    requestTimeoutMs: milliseconds.optional(),
    /** Bytes of PDF pages held for requests in flight, MB: the bound on memory however wide the window. Default 512. */
    maxInflightMb: z.number().positive().default(512),
    /** Attempts per request for 5xx, timeouts and resets. Default 6. */
    maxAttempts: positiveInt.max(50).default(6),
    /** First backoff step in ms (full jitter, doubling, capped at 60 s). Default 1 000. */
    retryBaseMs: milliseconds.default(1000),
    /**
     * Largest inline request in MB (base64 included). Default 100: Google raised the inline limit
     * from 20 MB to 100 MB on 2026-01-12 (blog.google, "Gemini API: new file limits").
     */
    maxInlineMb: z.number().positive().default(100),
    /** Prices per model, USD per 1M input and output tokens, for a model docpool does not know or to correct one. */
    price: z.record(z.string(), z.object({ inputPerMillion: z.number().nonnegative(), outputPerMillion: z.number().nonnegative() }).strict()).default({}),
    /** Also retry files that failed permanently in an earlier attempt of the same run. */
    retryFailed: z.boolean().default(false),
    /** Stop admitting files before the projected spend passes this many USD. */
    maxCost: z.number().positive().optional(),
    /** On a graceful stop, how long in-flight files may take to finish before their requests are cancelled. Default 30 000. */
    drainTimeoutMs: milliseconds.default(30_000),
    /** Files admitted but not finished. Default: enough to keep every worker and API slot busy (every file in batch mode). */
    window: positiveInt.optional(),
    /**
     * Answer through the Batch API: half the standard price, its own quota, answers within 24 h
     * (usually much sooner). A stopped or killed run leaves its jobs running; the same command
     * again collects them.
     */
    batch: z.boolean().default(false),
    /** What a request that failed in `batchAttempts` jobs does: fail its file (default), or ask online at the standard price. */
    batchFallback: z.enum(['online']).optional(),
    /** Jobs one request may go through before that. Default 3. */
    batchAttempts: positiveInt.max(20).default(3),
    /** Requests per batch job at most. Default 1 000. */
    batchSize: positiveInt.max(100_000).default(1000),
    /** A job is submitted once no request joined it for this long, ms. Default 5 000. */
    batchLingerMs: milliseconds.default(5000),
    /** First poll of a job after this many ms; then ×1.5 per poll, up to 5 minutes. Default 30 000. */
    batchPollMs: milliseconds.default(30_000),
    /** Cancel this state folder's batch jobs that are still running, and stop. */
    cancel: z.boolean().default(false),
  })
  .strict();

export type Config = Readonly<Omit<z.infer<typeof configSchema>, 'requestTimeoutMs'> & { requestTimeoutMs: number }>;
export type ConfigInput = z.input<typeof configSchema>;

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
    const unpriced = [parsed.data.classifyModel, parsed.data.extractModel].filter((model) => !pricing.known(model));
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
  return Object.freeze({ ...data, requestTimeoutMs: data.requestTimeoutMs ?? (data.serviceTier === 'flex' ? FLEX_REQUEST_TIMEOUT_MS : REQUEST_TIMEOUT_MS) });
}

/** What the run's calls are billed at: the Batch API's price in batch mode, else the service tier's. */
export function billingTier(config: Pick<Config, 'batch' | 'serviceTier'>): BillingTier {
  return config.batch ? 'batch' : config.serviceTier;
}

const REQUEST_TIMEOUT_MS = 120_000;
/** Flex answers within 1–15 minutes by Google's target: a deadline past the tail. */
const FLEX_REQUEST_TIMEOUT_MS = 20 * 60_000;

/** Parses `model=input/output[,…]` (USD per 1M tokens) as used by --price. */
export function parsePrices(option: string, text: string): Record<string, { inputPerMillion: number; outputPerMillion: number }> {
  const result: Record<string, { inputPerMillion: number; outputPerMillion: number }> = {};
  for (const pair of text.split(',')) {
    const match = /^\s*([^=\s]+)=(\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)\s*$/.exec(pair);
    if (!match) throw invalidOption(option, 'model=INPUT/OUTPUT in USD per 1M tokens, e.g. gemini-2.5-flash=0.30/2.50', text);
    result[match[1]!] = { inputPerMillion: Number(match[2]), outputPerMillion: Number(match[3]) };
  }
  return result;
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

/** Reads a JSON object from a file named by an option, with a message that names the option and the file. */
export function readJsonFile(option: string, file: string): Record<string, unknown> {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${option}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('the top level must be an object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`${path}: not valid JSON config (${(error as Error).message})`);
  }
}

function definedOnly(flags: ConfigInput): Record<string, unknown> {
  return Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined));
}

/** Parses `model=n[,model=n…]` as used by --rpm, --tpm and --concurrency. */
export function parseModelNumbers(option: string, text: string): Record<string, number> {
  const result: Record<string, number> = {};
  for (const pair of text.split(',')) {
    const [model, value, extra] = pair.split('=');
    const number = Number(value);
    if (!model || value === undefined || extra !== undefined || !Number.isInteger(number) || number <= 0) {
      throw invalidOption(option, 'model=n[,model=n…] with whole numbers above 0, e.g. gemini-2.5-flash=1000', text);
    }
    result[model.trim()] = number;
  }
  return result;
}

/** Parses `step=resolution[,…]` as used by --media-resolution, e.g. `classify=low,extract=medium`. */
export function parseMediaResolutions(option: string, text: string): Partial<Record<keyof StepResolutions, MediaResolution>> {
  const result: Partial<Record<keyof StepResolutions, MediaResolution>> = {};
  for (const pair of text.split(',')) {
    const [step, value, extra] = pair.split('=').map((part) => part.trim().toLowerCase());
    if (
      !step ||
      !value ||
      extra !== undefined ||
      !['classify', 'extract', 'one-pass'].includes(step) ||
      !(MEDIA_RESOLUTIONS as readonly string[]).includes(value)
    ) {
      throw invalidOption(
        option,
        `step=resolution[,…] with steps classify, extract, one-pass and resolutions ${MEDIA_RESOLUTIONS.join(', ')}, e.g. classify=low,extract=medium`,
        text,
      );
    }
    result[step as keyof StepResolutions] = value as MediaResolution;
  }
  return result;
}

/** Parses a number flag above 0, naming the flag when it is not one. */
export function parsePositiveNumber(option: string, text: string): number {
  const number = Number(text);
  if (!Number.isFinite(number) || number <= 0) throw invalidOption(option, 'a number above 0', text);
  return number;
}

/** Parses a duration flag in ms: a whole number above 0 that a timer can hold. */
export function parseMilliseconds(option: string, text: string): number {
  const number = parseWholeNumber(option, text);
  if (number > MAX_TIMER_MS) throw invalidOption(option, `at most ${MAX_TIMER_MS} ms (about 24.8 days), the longest timer Node keeps`, text);
  return number;
}

/** Parses a whole-number flag, naming the flag when it is not one. */
export function parseWholeNumber(option: string, text: string): number {
  const number = Number(text);
  if (!Number.isInteger(number) || number <= 0) throw invalidOption(option, 'a whole number above 0', text);
  return number;
}

/** A TCP port: 0 (any free one) to 65535. */
export function parsePort(text: string): number {
  const number = Number(text);
  if (!Number.isInteger(number) || number < 0 || number > 65_535) throw invalidOption('--port', 'a port number from 0 (any free port) to 65535', text);
  return number;
}

/** MiB, as the size options are given, to bytes. */
export function mebibytes(mb: number): number {
  return mb * 1024 * 1024;
}

/**
 * What a model is paced against: an override, else the tier's published figure, else nothing
 * (undefined): Google publishes no paid-tier limits for most current models, so the limiter finds
 * them (slow start, then the figure Google's first 429 states in QuotaFailure.quotaValue).
 */
export interface ModelQuotaPlan {
  readonly rpm?: number;
  readonly tpm?: number;
  readonly rpd?: number;
  /** Ceiling on requests in flight. */
  readonly concurrency: number;
  /** The ceiling for a limit learned at run time; undefined when --concurrency fixed it. */
  readonly concurrencyFor?: (rpm: number) => number;
}

export function limitsFor(config: Config, model: string): ModelQuotaPlan {
  const published = MODELS[model]?.limits[config.tier];
  const rpm = config.rpm[model] ?? published?.rpm;
  const tpm = config.tpm[model] ?? published?.tpm;
  const given = config.concurrency[model];
  const concurrencyFor = (limit: number) => defaultConcurrency(config, limit);
  return {
    ...(rpm === undefined ? {} : { rpm }),
    ...(tpm === undefined ? {} : { tpm }),
    ...(published?.rpd === undefined ? {} : { rpd: published.rpd }),
    concurrency: given ?? (rpm === undefined ? unknownQuotaCeiling(config) : concurrencyFor(rpm)),
    ...(given === undefined ? { concurrencyFor } : {}),
  };
}

/**
 * Ceiling while a model's quota is unknown: as high as any published quota needs (the limiter
 * starts far below it and grows until Google's first 429 says where the limit is). Flex keeps
 * each request for minutes, so it needs many windows' worth in flight.
 */
function unknownQuotaCeiling(config: Pick<Config, 'serviceTier'>): number {
  return config.serviceTier === 'flex' ? MAX_FLEX_CONCURRENCY : MAX_STANDARD_CONCURRENCY;
}

/**
 * Requests in flight a model needs to keep its quota busy (Little's law: rate × latency). Standard
 * answers in seconds to half a minute (Pro thinking over five pages: ~18 s): half the RPM in
 * flight, at least 32, keeps the quota busy (Pro at tier 1 needs ~45; 32 left it a third idle).
 * Flex answers in 1–15 minutes: at the
 * top of that, a quota of `rpm` per window needs 15 windows' worth in flight (the limiter still
 * paces sending; memory is bounded by --max-inflight-mb, not by this).
 */
function defaultConcurrency(config: Pick<Config, 'serviceTier'>, rpm: number): number {
  return config.serviceTier === 'flex'
    ? Math.min(MAX_FLEX_CONCURRENCY, rpm * FLEX_WINDOWS_IN_FLIGHT)
    : Math.min(rpm, MAX_STANDARD_CONCURRENCY, Math.max(32, Math.ceil(rpm / 2)));
}

/** Tier 3's Pro (2,000 RPM × ~18 s) needs ~600 in flight; more only ever comes from an --rpm far above any tier. */
const MAX_STANDARD_CONCURRENCY = 1_000;

const FLEX_WINDOWS_IN_FLIGHT = 15;
const BATCH_WINDOW = 1_000_000;
const MAX_FLEX_CONCURRENCY = 50_000;

/**
 * The admission window: enough files in flight to keep every worker busy, and every API slot too
 * when answers come from the API (the offline rules need no more than the workers: a wider window
 * would only hold more prepared files in memory).
 */
export function admissionWindow(config: Config, usesApi: boolean): number {
  if (config.window) return config.window;
  // A batch job answers in minutes to hours: every file waits at once (memory bounded by --max-inflight-mb).
  if (config.batch && usesApi) return BATCH_WINDOW;
  const models = new Set([config.classifyModel, config.extractModel]);
  const apiSlots = usesApi ? [...models].reduce((sum, model) => sum + limitsFor(config, model).concurrency, 0) : 0;
  return Math.max(16, config.workers * 4 + apiSlots);
}
