import type { RunStopCode } from '../failure-codes.ts';
import { forEachBounded } from '../intake/bounded.ts';
import { type Discovered, discover } from '../intake/discover.ts';
import type { PrepareTask } from '../../workers/protocol.ts';
import type { PreparePool } from './prepare-pool.ts';
import type { FileRecord } from '../state/record.ts';
import type { RunStats } from '../progress/run-stats.ts';
import { projectedCost } from '../progress/spend-projection.ts';
import type { Sink } from '../output/sink.ts';
import { AdmissionStopped, RunAborted } from '../errors.ts';
import { inPhase, StepResolver } from './step-resolver.ts';
import { askSteps, fieldsOf } from './answer-steps.ts';
import type { StepPlan } from './step-plan.ts';
import { answeredRecord, failedRecord, record } from './file-record.ts';
import { askRemote, type RemoteFiles } from './remote-answer.ts';
import type { ByteBudget, BytesHeld } from '../intake/byte-budget.ts';
import type { Store } from '../state/store.ts';

export interface PipelineOptions {
  readonly paths: readonly string[];
  readonly include: readonly string[];
  /** The prepare task for a file (the page window and size limit come from the config). */
  readonly taskFor: (path: string, buildSubset: boolean) => PrepareTask;
  /** Files admitted and not yet finished: the bound on memory, whatever the number of files. */
  readonly window: number;
  /** Which steps a file takes and where their answers are kept (the provider and its fallback with them). */
  readonly plan: StepPlan;
  readonly pool: PreparePool;
  readonly store: Store;
  readonly sink: Sink;
  readonly stats: RunStats;
  /** Aborted to stop admitting files (graceful stop, budget, daily quota); in-flight files finish. */
  readonly admission: AbortSignal;
  /** Cancels every request in flight or waiting: the run is aborted, nothing more may be sent. */
  readonly cancelRequests: () => void;
  /** Resolves when admission may go on (the dashboard's pause key). */
  readonly waitWhilePaused?: () => Promise<void>;
  /** The run this is (an attempt of): finished files are recorded under it, and skipped when resumed. */
  readonly runId: string;
  /** Also redo files that failed permanently in an earlier attempt. */
  readonly retryFailed: boolean;
  /** Bytes of prepared pages held by files waiting on the API: the memory bound of a wide window. */
  readonly bytesInFlight: ByteBudget;
  /** Stop admitting files before the projected spend passes this many USD. */
  readonly maxCostUsd?: number;
  /** Worst-case cost of one file, used to project spend until real averages exist. */
  readonly priorCostPerFile?: number;
  /** A queue's workers prepare and answer the files (`run --queue`); this process hashes, commits and writes. */
  readonly remote?: RemoteFiles;
}

type Stat = { readonly size: number; readonly mtimeMs: number; readonly ctimeMs: number; readonly ino: number };

/** A finished file: its record, the stat it was processed under, and whether it was carried over unchanged. */
interface Finished {
  readonly record: FileRecord;
  readonly stat: Stat | null;
  readonly carriedOver: boolean;
}

/** The stat cache trusts a hash only for files last modified this long before it was taken (git's racy-clean rule). */
const RACY_MS = 2000;

export type PipelineEnd =
  | { readonly kind: 'complete' }
  | { readonly kind: 'admission_stopped'; readonly code: RunStopCode; readonly message: string }
  | { readonly kind: 'aborted'; readonly code: RunStopCode; readonly message: string };

/**
 * discover → bounded admission → prepare (pool) → classify → extract → commit → sink (DESIGN §2).
 * Each file moves on the moment its step ends; nothing waits for a batch. A step result is
 * committed to LMDB before the file is written out or counted, so a crash loses only what was
 * in flight.
 */
export async function runPipeline(options: PipelineOptions): Promise<PipelineEnd> {
  let end: PipelineEnd = { kind: 'complete' };
  const stopAdmission = new AbortController();
  const admissionOpen = () => {
    if (options.admission.aborted || stopAdmission.signal.aborted) return false;
    if (options.maxCostUsd !== undefined && overBudget(options.stats, options.maxCostUsd, options.priorCostPerFile ?? 0)) {
      end = { kind: 'admission_stopped', code: 'BUDGET_REACHED', message: `the projected spend reached --max-cost $${options.maxCostUsd}` };
      stopAdmission.abort();
      return false;
    }
    return true;
  };
  const source = admit(discover(options.paths, { include: options.include }), admissionOpen, options.stats, options.waitWhilePaused);
  const runner = new StepResolver(options.store, options.plan, options.stats);
  // Aborted with the run's RunAborted: files admitted but not yet read are not read at all.
  const halt = new AbortController();
  const abort = (error: RunAborted) => {
    if (end.kind !== 'aborted') end = { kind: 'aborted', code: error.code, message: error.message };
    stopAdmission.abort();
    halt.abort(error);
    options.cancelRequests();
  };

  await forEachBounded(
    source,
    options.window,
    async (item) => {
      try {
        return await processFile(item, options, runner, halt.signal);
      } catch (error) {
        if (error instanceof RunAborted) {
          abort(error);
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
    async (finished) => {
      if (!finished || end.kind === 'aborted') return;
      try {
        // Commit, then write, then count: a file is never reported done before its state is saved.
        if (!finished.carriedOver)
          await options.store.putRunFile(options.runId, finished.record.path, { record: finished.record, stat: finished.stat, committedAt: Date.now() });
        await options.sink.write(finished.record);
        options.stats.finished(finished.record, finished.carriedOver);
      } catch (error) {
        // A full disk or a vanished folder: stop cleanly, with what was committed kept.
        if (error instanceof RunAborted) abort(error);
        else throw error;
      }
    },
  );
  if (options.admission.aborted && end.kind === 'complete') end = { kind: 'admission_stopped', code: 'INTERRUPTED', message: 'stopped on request' };
  return end;
}

async function* admit(
  source: AsyncIterable<Discovered>,
  isOpen: () => boolean,
  stats: RunStats,
  waitWhilePaused?: () => Promise<void>,
): AsyncGenerator<Discovered> {
  for await (const item of source) {
    await waitWhilePaused?.();
    if (!isOpen()) return;
    stats.discovered();
    yield item;
  }
  stats.discoveryFinished();
}

/** Whether the files in flight and one more would likely take the spend past the budget. */
function overBudget(stats: RunStats, maxCostUsd: number, priorCostPerFile: number): boolean {
  const snapshot = stats.snapshot();
  return projectedCost(snapshot, snapshot.discovered - snapshot.finished + 1, priorCostPerFile) >= maxCostUsd;
}

async function processFile(item: Discovered, options: PipelineOptions, runner: StepResolver, halt: AbortSignal): Promise<Finished> {
  if (item.kind === 'error') {
    return { record: failedRecord(item.path, performance.now(), item.code, item.message), stat: null, carriedOver: false };
  }
  const stat = { size: item.size, mtimeMs: item.mtimeMs, ctimeMs: item.ctimeMs, ino: item.ino };
  const prior = options.store.getRunFile(options.runId, item.path);
  if (prior && sameStat(prior.stat, stat) && carriesOver(prior.record, options.retryFailed)) {
    options.stats.resumedFile();
    return { record: prior.record, stat, carriedOver: true };
  }
  return { record: await answerFile(item.path, stat, options, runner, halt), stat, carriedOver: false };
}

async function answerFile(path: string, stat: Stat, options: PipelineOptions, runner: StepResolver, halt: AbortSignal): Promise<FileRecord> {
  const started = performance.now();
  const fromStat = answerFromStatCache(path, stat, options, started);
  if (fromStat) return fromStat;
  // The queue's workers hold the pages; this process only hashes.
  if (options.remote) return askRemote(path, stat, options, options.remote, started, halt);

  const bytes = await options.bytesInFlight.take(stat.size);
  try {
    return await readAndAsk(path, stat, options, runner, started, bytes, halt);
  } finally {
    bytes.release();
  }
}

async function readAndAsk(
  path: string,
  stat: Stat,
  options: PipelineOptions,
  runner: StepResolver,
  started: number,
  bytes: BytesHeld,
  halt: AbortSignal,
): Promise<FileRecord> {
  options.stats.fileRead();
  const prepared = await inPhase(options.stats, 'preparing', () =>
    // Only Gemini reads the page subset; the offline rules need the text alone.
    options.pool.prepare(options.taskFor(path, options.plan.provider.name === 'gemini'), halt),
  );
  if (prepared.kind === 'failed')
    return failedRecord(path, started, prepared.code, prepared.message, { sha256: prepared.sha256 ?? null, bytes: prepared.bytes ?? null });
  bytes.resize(prepared.subset.byteLength + prepared.text.length);
  await options.store.putFile(path, { ...stat, sha256: prepared.sha256, pages: prepared.pageCount, hashedAt: Date.now() });
  const facts = { sha256: prepared.sha256, bytes: prepared.bytes, pages: prepared.pageCount };

  const answer = await askSteps(prepared.sha256, prepared, options.plan, runner);
  return answeredRecord(path, started, facts, answer, options.plan.profile);
}

/**
 * An unchanged file (same size, mtime, ctime and inode as when it was hashed, and hashed well
 * after its last change) whose answers are all cached needs no reading at all: a 10,000-file re-run is
 * then bound by stat and LMDB reads, not by hashing.
 */
function answerFromStatCache(path: string, stat: Stat, options: PipelineOptions, started: number): FileRecord | undefined {
  const facts = options.store.getFile(path);
  if (!facts || !sameStat(facts, stat) || facts.hashedAt - Math.max(facts.mtimeMs, facts.ctimeMs ?? 0) < RACY_MS) return undefined;
  const cached = options.plan.cached(facts.sha256, options.store);
  if (!cached) return undefined;
  const { first, extracted } = cached;
  options.stats.statHit();
  return record(path, started, {
    status: 'done',
    sha256: facts.sha256,
    bytes: facts.size,
    pages: facts.pages,
    class: first.label ?? 'other',
    confidence: first.confidence ?? null,
    fields: fieldsOf(options.plan.profile, first, extracted),
    source: extracted?.source === 'offline' || first.source === 'offline' ? 'offline' : 'gemini',
    cached: true,
    models: { classify: first.model, ...(extracted ? { extract: extracted.model } : {}) },
    passes: cached.passes,
  });
}

/**
 * Whether an earlier attempt's record stands: answered files do, unless the offline fallback
 * answered for a failing API (a healthy run asks Gemini again); failures only when permanent and
 * --retry-failed is not given.
 */
function carriesOver(record: FileRecord, retryFailed: boolean): boolean {
  if (record.status === 'done') return record.apiError === undefined;
  return !record.error?.retryable && !retryFailed;
}

/** What git compares: a file rewritten in place with its mtime put back still has a new ctime. */
function sameStat(
  a: { readonly size: number; readonly mtimeMs: number; readonly ctimeMs?: number; readonly ino: number } | null | undefined,
  b: Stat,
): boolean {
  return !!a && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;
}
