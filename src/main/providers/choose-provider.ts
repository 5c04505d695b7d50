import { join } from 'node:path';
import { limitsFor } from '../config/limits.ts';
import { type Config, modelsOf, secondOpinionsOn } from '../config/schema.ts';
import type { AnswerSettings } from '../pipeline/step-plan.ts';
import type { Store } from '../state/store.ts';
import { callBatch } from './batch/batch-call.ts';
import { BatchJobs } from './batch/batch-jobs.ts';
import { billingTier, Pricing } from '../models/pricing.ts';
import { UsageError } from '../errors.ts';
import type { Profile } from '../profiles/profile.ts';
import type { GeminiQuestions } from './gemini/gemini-fingerprints.ts';
import { GeminiProvider, type GeminiProviderOptions } from './gemini/gemini-provider.ts';
import { OfflineProvider } from './offline-provider.ts';
import type { GeminiCall } from './gemini/gemini-call.ts';
import { pacedWindowMs, type SharedQuota, UNPACED } from './gemini/model-limiter.ts';
import type { ModelQuota } from '../queue/global-quota.ts';
import type { Provider, StepOutcome } from './provider.ts';

export interface ProviderContext {
  readonly env: NodeJS.ProcessEnv;
  readonly notify: (message: string) => void;
  /** Aborts every request in flight when the run must stop now. */
  readonly stopSignal: AbortSignal;
  readonly onRetry: () => void;
  readonly onAnswer: NonNullable<GeminiProviderOptions['onAnswer']>;
  /** The state folder: batch mode keeps its jobs there (a queue worker has none, and no batch mode). */
  readonly store?: Store;
  readonly db?: string;
  /** A quota held with other processes (`docpool worker`): each model's requests are admitted there too. */
  readonly sharedQuota?: (quota: ModelQuota) => SharedQuota;
}

export interface ChosenProvider {
  readonly provider: Provider;
  /** Batch mode's jobs (undefined online). */
  readonly batch?: BatchJobs;
}

/** Batch jobs stay under this much inline JSON; above it a JSONL file goes through the Files API (the limit is 20 MB). */
const INLINE_BATCH_BYTES = 18 * 1024 * 1024;
const BATCH_POLL_MAX_MS = 5 * 60_000;

/**
 * Gemini when a key is set (or asked for), else the offline rules with a notice. The key is read
 * from the environment only and handed to the client: never to a log, a record or the cache.
 */
export function chooseProvider(config: Config, profile: Profile, context: ProviderContext): ChosenProvider {
  const apiKey = context.env.GEMINI_API_KEY || context.env.GOOGLE_API_KEY;
  const kind = config.provider ?? (apiKey ? 'gemini' : 'offline');
  if (kind === 'offline' && config.batch)
    throw new UsageError('--batch: the Batch API needs Gemini; set GEMINI_API_KEY (or GOOGLE_API_KEY) in the environment');
  if (kind === 'offline') {
    if (!config.provider) context.notify('docpool: no GEMINI_API_KEY or GOOGLE_API_KEY set: using the offline rule-based provider (set a key to use Gemini)\n');
    return { provider: new OfflineProvider(profile, config.pages) };
  }
  if (!apiKey) throw new UsageError('--provider gemini: set GEMINI_API_KEY (or GOOGLE_API_KEY) in the environment; the key is never read from flags or files');
  const pricing = new Pricing(config.price, billingTier(config));
  for (const model of modelsOf(config)) {
    if (!pricing.known(model))
      context.notify(
        `docpool: no price is known for ${model}: its calls are not counted in the spend; give one with --price ${model}=INPUT/OUTPUT (USD per 1M tokens)\n`,
      );
  }
  // Bound once the provider (whose client the jobs use) exists; no request is sent before.
  let batch: BatchJobs | undefined;
  const online = new Pricing(config.price, config.serviceTier);
  const provider: GeminiProvider = new GeminiProvider({
    apiKey,
    ...geminiQuestions(config, profile, context.env),
    limits: (model) => {
      const limits = limitsFor(config, model);
      // Paced like the local limiter: a request admitted now may reach Google a little later.
      // An unknown limit is not paced across machines; a 429 still pauses every worker (see GlobalQuota).
      const shared = context.sharedQuota?.({ model, rpm: limits.rpm ?? UNPACED, tpm: limits.tpm ?? UNPACED, windowMs: pacedWindowMs(config.quotaWindowMs) });
      return { ...limits, windowMs: config.quotaWindowMs, outage: outagePolicy(config), ...(shared ? { shared } : {}) };
    },
    maxInlineBytes: config.maxInlineMb * 1_000_000,
    pricing,
    // Long enough for other files' answers to arrive (a sixth of a quota window: 10 s against Google).
    refusalGraceMs: Math.round(config.quotaWindowMs / 6),
    policy: {
      maxAttempts: config.maxAttempts,
      maxRateLimitedAttempts: 30,
      maxShedAttempts: 50,
      serviceTier: config.serviceTier,
      retryBaseMs: config.retryBaseMs,
      retryCapMs: 60_000,
      requestTimeoutMs: config.requestTimeoutMs,
      stopSignal: context.stopSignal,
      rideOutOutages: config.fallback === undefined,
    },
    onRetry: context.onRetry,
    onAnswer: context.onAnswer,
    ...(config.batch
      ? {
          send: (call: GeminiCall): Promise<StepOutcome> =>
            callBatch(call, batch!, {
              maxAttempts: config.batchAttempts,
              ...(config.batchFallback === 'online'
                ? { online: (failed: GeminiCall): Promise<StepOutcome> => provider.callOnline({ ...failed, pricing: online }) }
                : {}),
            }),
        }
      : {}),
  });
  if (config.batch) {
    if (!context.store || !context.db) throw new UsageError('--batch: batch mode runs from a state folder; it cannot go through a queue worker');
    batch = new BatchJobs({
      ai: provider.client,
      store: context.store,
      spoolDir: join(context.db, 'batch-spool'),
      maxRequestsPerJob: config.batchSize,
      lingerMs: config.batchLingerMs,
      pollMs: config.batchPollMs,
      pollMaxMs: Math.max(config.batchPollMs, BATCH_POLL_MAX_MS),
      inlineLimitBytes: INLINE_BATCH_BYTES,
      stop: context.stopSignal,
      notify: context.notify,
    });
  }
  return { provider, ...(batch ? { batch } : {}) };
}

/** The offline rules that answer a Gemini run's step whose API calls failed for good (--fallback offline), else undefined. */
export function fallbackFor(config: Config, profile: Profile, answerer: { readonly name: 'gemini' | 'offline' }): OfflineProvider | undefined {
  return config.fallback === 'offline' && answerer.name === 'gemini' ? new OfflineProvider(profile, config.pages) : undefined;
}

/** What a run does with answers beside asking: second opinions for a failed check, and the review threshold. */
export function answerSettings(config: Config): AnswerSettings {
  return { secondOpinions: secondOpinionsOn(config), reviewBelow: config.reviewBelow };
}

/** `--split auto`: the page count above which a file is looked at for several documents; undefined when off. */
export function splitAbove(config: Pick<Config, 'split' | 'splitPages'>): number | undefined {
  return config.split === 'auto' ? config.splitPages : undefined;
}

/** What Gemini is asked under these settings: what its answers, and so its cache keys, depend on. */
export function geminiQuestions(config: Config, profile: Profile, env: NodeJS.ProcessEnv): GeminiQuestions {
  const baseUrl = config.baseUrl ?? env.GOOGLE_GEMINI_BASE_URL;
  return {
    ...(baseUrl ? { baseUrl } : {}),
    profile,
    classifyModel: config.classifyModel,
    extractModel: config.extractModel,
    ...(config.escalateModel && secondOpinionsOn(config) ? { secondOpinionModel: config.escalateModel } : {}),
    pageWindow: config.pages,
    inputMode: config.inputMode,
    resolutions: config.mediaResolution,
  };
}

/**
 * How an outage is ridden out: five transient failures in a row hold the model; probes start at
 * the retry base and double up to a minute; after fifteen quota windows (15 min against Google,
 * proportionally less against a time-scaled emulator) the run stops admitting and says so.
 */
function outagePolicy(config: Config) {
  return {
    threshold: 5,
    firstProbeDelayMs: config.retryBaseMs,
    maxProbeDelayMs: Math.min(60_000, config.quotaWindowMs),
    giveUpAfterMs: 15 * config.quotaWindowMs,
  };
}
