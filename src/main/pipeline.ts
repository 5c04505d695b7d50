import { forEachBounded } from './bounded.ts';
import { type Discovered, discover } from './discover.ts';
import { resultKey } from './fingerprint.ts';
import type { PreparePool } from './prepare-pool.ts';
import type { Profile } from './profile.ts';
import type { FileRecord } from './record.ts';
import type { FileStage, RunStats } from './run-stats.ts';
import type { Sink } from './sinks/sink.ts';
import { AdmissionStopped, type Provider, RunAborted, type StageOutcome, ZERO_USAGE } from './stage.ts';
import type { StageResult, Store, TokenUsage } from './store.ts';

export interface PipelineOptions {
  readonly paths: readonly string[];
  readonly include: readonly string[];
  readonly pageWindow: number;
  readonly maxFileBytes: number;
  /** Files admitted and not yet finished: the bound on memory, whatever the number of files. */
  readonly window: number;
  readonly profile: Profile;
  readonly provider: Provider;
  /** Answers a stage whose API calls failed for good (--fallback offline); its records say so. */
  readonly fallback?: Provider;
  readonly pool: PreparePool;
  readonly store: Store;
  readonly sink: Sink;
  readonly stats: RunStats;
  /** Aborted to stop admitting files (graceful stop, budget, daily quota); in-flight files finish. */
  readonly admission: AbortSignal;
}

export type PipelineEnd =
  | { readonly kind: 'complete' }
  | { readonly kind: 'admission_stopped'; readonly code: string; readonly message: string }
  | { readonly kind: 'aborted'; readonly code: string; readonly message: string };

/**
 * discover → bounded admission → prepare (pool) → classify → extract → commit → sink (DESIGN §2).
 * Each file moves on the moment its stage ends; nothing waits for a batch. A stage result is
 * committed to LMDB before the file is written out or counted, so a crash loses only what was
 * in flight.
 */
export async function runPipeline(options: PipelineOptions): Promise<PipelineEnd> {
  let end: PipelineEnd = { kind: 'complete' };
  const stopAdmission = new AbortController();
  const admissionOpen = () => !options.admission.aborted && !stopAdmission.signal.aborted;
  const source = admit(discover(options.paths, { include: options.include }), admissionOpen, options.stats);

  await forEachBounded(
    source,
    options.window,
    async (item) => {
      try {
        return await processFile(item, options);
      } catch (error) {
        if (error instanceof RunAborted) {
          if (end.kind !== 'aborted') end = { kind: 'aborted', code: error.code, message: error.message };
          stopAdmission.abort();
          return undefined; // not marked failed: the run stopped, the file did not fail
        }
        if (error instanceof AdmissionStopped) {
          if (end.kind === 'complete') end = { kind: 'admission_stopped', code: error.code, message: error.message };
          stopAdmission.abort();
          return undefined; // left for the next run
        }
        throw error;
      }
    },
    async (record) => {
      if (!record || end.kind === 'aborted') return;
      await options.sink.write(record);
      options.stats.finished(record);
    },
  );
  if (options.admission.aborted && end.kind === 'complete') end = { kind: 'admission_stopped', code: 'INTERRUPTED', message: 'stopped on request' };
  return end;
}

async function* admit(source: AsyncIterable<Discovered>, isOpen: () => boolean, stats: RunStats): AsyncGenerator<Discovered> {
  for await (const item of source) {
    if (!isOpen()) return;
    stats.discovered();
    yield item;
  }
  stats.discoveryFinished();
}

async function processFile(item: Discovered, options: PipelineOptions): Promise<FileRecord> {
  const started = performance.now();
  const failed = (code: string, message: string, facts: Partial<FileRecord> = {}): FileRecord =>
    record(item.path, started, { status: 'failed', error: { code, message }, ...facts });
  if (item.kind === 'error') return failed(item.code, item.message);

  const prepared = await inStage(options.stats, 'preparing', () =>
    options.pool.prepare({ path: item.path, pageWindow: options.pageWindow, maxFileBytes: options.maxFileBytes, buildSubset: options.provider.name === 'gemini' }),
  );
  if (prepared.kind === 'failed') return failed(prepared.code, prepared.message, { sha256: prepared.sha256 ?? null, bytes: prepared.bytes ?? null });
  const facts = { sha256: prepared.sha256, bytes: prepared.bytes, pages: prepared.pageCount };

  const classified = await withFallback(options, (provider) =>
    runStage(options, 'classifying', resultKey(prepared.sha256, 'classify', provider.classifyFingerprint()), () => provider.classify(prepared)),
  );
  if (!classified.ok) return failed(classified.code, classified.message, { ...facts, usage: classified.usage ?? ZERO_USAGE });
  const label = classified.result.label ?? 'other';

  const extracted = options.profile.extract[label]
    ? await withFallback(options, (provider) =>
        runStage(options, 'extracting', resultKey(prepared.sha256, 'extract', provider.extractFingerprint(label)), () => provider.extract(prepared, label)),
      )
    : undefined;
  if (extracted && !extracted.ok) {
    return failed(extracted.code, extracted.message, { ...facts, class: label, confidence: classified.result.confidence ?? null, usage: addUsage(spentThisRun(classified), extracted.usage ?? ZERO_USAGE) });
  }
  const stages = extracted ? [classified, extracted] : [classified];
  const allCached = stages.every((stage) => stage.cached);
  const apiError = stages.find((stage) => stage.apiError)?.apiError;
  return record(item.path, started, {
    ...facts,
    status: 'done',
    class: label,
    confidence: classified.result.confidence ?? null,
    fields: extracted ? (extracted.result.fields ?? {}) : null,
    source: allCached ? 'cache' : stages.some((stage) => stage.result.source === 'offline') ? 'offline' : 'gemini',
    ...(apiError ? { apiError } : {}),
    models: { classify: classified.result.model, ...(extracted ? { extract: extracted.result.model } : {}) },
    usage: stages.map(spentThisRun).reduce(addUsage, ZERO_USAGE),
  });
}

type Resolved =
  | (StageOutcome & { ok: false })
  | {
      readonly ok: true;
      readonly result: StageResult;
      readonly cached: boolean;
      readonly apiError?: { readonly code: string; readonly message: string };
      /** Spent on the failed API attempts a fallback answer replaced. */
      readonly spentBefore?: TokenUsage;
    };

/**
 * A stage from the main provider; if that failed for good and a fallback is configured, from the
 * fallback, keeping the API error beside the answer so the record shows why.
 */
async function withFallback(options: PipelineOptions, stage: (provider: Provider) => Promise<Resolved>): Promise<Resolved> {
  const primary = await stage(options.provider);
  if (primary.ok || !options.fallback || primary.code === 'INTERRUPTED') return primary;
  const fallback = await stage(options.fallback);
  if (!fallback.ok) return primary;
  return { ...fallback, apiError: { code: primary.code, message: primary.message }, ...(primary.usage ? { spentBefore: primary.usage } : {}) };
}

/**
 * Identical content met twice in one run (duplicate invoices are common) is asked once: the
 * second file waits for the first's answer instead of paying for its own.
 */
const asking = new Map<string, Promise<Resolved>>();

/** A stage from the cache if its key is there, else from the provider, committed before returning. */
async function runStage(options: PipelineOptions, stage: FileStage, key: string, ask: () => Promise<StageOutcome>): Promise<Resolved> {
  const hit = options.store.getResult(key);
  if (hit) return { ok: true, result: hit, cached: true };
  const pending = asking.get(key);
  if (pending) {
    const shared = await pending;
    return shared.ok ? { ...shared, cached: true } : shared;
  }
  const answer = (async (): Promise<Resolved> => {
    const outcome = await inStage(options.stats, stage, ask);
    if (!outcome.ok) return outcome;
    await options.store.putResult(key, outcome.result);
    return { ok: true, result: outcome.result, cached: false };
  })();
  asking.set(key, answer);
  try {
    return await answer;
  } finally {
    asking.delete(key);
  }
}

async function inStage<T>(stats: RunStats, stage: FileStage, work: () => Promise<T>): Promise<T> {
  stats.enter(stage);
  try {
    return await work();
  } finally {
    stats.leave(stage);
  }
}

function spentThisRun(stage: Resolved & { ok: true }): TokenUsage {
  return addUsage(stage.cached ? ZERO_USAGE : stage.result.usage, stage.spentBefore ?? ZERO_USAGE);
}

function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return { input: a.input + b.input, output: a.output + b.output, thinking: a.thinking + b.thinking, costUsd: a.costUsd + b.costUsd };
}

function record(path: string, started: number, { status, ...facts }: Partial<FileRecord> & Pick<FileRecord, 'status'>): FileRecord {
  return {
    path,
    status,
    sha256: null,
    bytes: null,
    pages: null,
    class: null,
    confidence: null,
    fields: null,
    source: null,
    models: {},
    usage: ZERO_USAGE,
    error: null,
    ...facts,
    ms: Math.round(performance.now() - started),
  };
}

