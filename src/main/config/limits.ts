import { MODELS } from '../models/catalogue.ts';
import { type Config, modelsOf } from './schema.ts';

/** The limits policy: what each model is paced against, how much is in flight, what calls are billed at. */

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
  const models = modelsOf(config);
  const apiSlots = usesApi ? models.reduce((sum, model) => sum + limitsFor(config, model).concurrency, 0) : 0;
  return Math.max(16, config.workers * 4 + apiSlots);
}
