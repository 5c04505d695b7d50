import type { RunStopCode } from '../failure-codes.ts';
import { forEachBounded } from '../intake/bounded.ts';
import { discover } from '../intake/discover.ts';
import { expandContainers, type Intake, partKey } from '../intake/expand-containers.ts';
import type { ExpandResult } from '../../workers/protocol.ts';
import type { FileRecord } from '../state/record.ts';
import type { RunStats } from '../progress/run-stats.ts';
import { projectedCost } from '../progress/spend-projection.ts';
import type { Sink } from '../output/sink.ts';
import { AdmissionStopped, RunAborted } from '../errors.ts';
import type { StepFingerprints } from '../providers/provider.ts';
import { type AnswerRoute, type DocumentRef, type FileStat, isSplit, type SplitFile } from './answer-route.ts';
import { rangeName } from './split-documents.ts';
import { answerFromStatCache, cachedOutcome, cachedRecord, sameStat } from './cached-answers.ts';
import type { StepPlan } from './step-plan.ts';
import { failedRecord } from './file-record.ts';
import type { Store } from '../state/store.ts';
import type { DuplicateInvoices } from '../checks/duplicate-invoices.ts';

export interface PipelineOptions {
  /**
   * The files: paths given, the globs that choose files under folders, and how a ZIP or mail is
   * listed into the documents it holds (in a worker thread).
   */
  readonly inputs: {
    readonly paths: readonly string[];
    readonly include: readonly string[];
    readonly expand: (path: string) => Promise<ExpandResult>;
  };
  /** Files admitted and not yet finished: the bound on memory, whatever the number of files. */
  readonly window: number;
  /** How a file the caches cannot answer is answered: here, or by a queue's workers. */
  readonly route: AnswerRoute;
  /** Which steps a file takes and where their answers are kept: what the stat cache reads. */
  readonly plan: StepPlan<StepFingerprints>;
  readonly store: Store;
  /** Flags a done invoice that repeats another file's (same vendor, number and total, other content). */
  readonly duplicates?: DuplicateInvoices;
  readonly sink: Sink;
  readonly stats: RunStats;
  readonly admission: Admission;
  /** The run this is an attempt of: finished files are recorded under it, and carried over when resumed. */
  readonly resume: { readonly runId: string; readonly retryFailed: boolean };
}

/** What opens and closes admission: a stop, the pause key, the budget. */
export interface Admission {
  /** Aborted to stop admitting files (graceful stop, budget, daily quota); in-flight files finish. */
  readonly signal: AbortSignal;
  /** Resolves when admission may go on (the dashboard's pause key). */
  readonly waitWhilePaused?: () => Promise<void>;
  /** Cancels every request in flight or waiting: the run is aborted, nothing more may be sent. */
  readonly cancelRequests: () => void;
  /** Stop admitting files before the projected spend passes this many USD, projecting from this worst-case cost of a file until real averages exist. */
  readonly budget?: { readonly maxCostUsd: number; readonly priorCostPerFile: number };
}

/** A finished document: its record, the key its state is kept under, the stat it was processed under, and whether it was carried over unchanged. */
interface Finished {
  readonly record: FileRecord;
  readonly key: string;
  readonly stat: FileStat | null;
  readonly carriedOver: boolean;
}

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
  const admission = options.admission;
  const budget = admission.budget;
  const admissionOpen = () => {
    if (admission.signal.aborted || stopAdmission.signal.aborted) return false;
    if (budget && overBudget(options.stats, budget.maxCostUsd, budget.priorCostPerFile)) {
      end = { kind: 'admission_stopped', code: 'BUDGET_REACHED', message: `the projected spend reached --max-cost $${budget.maxCostUsd}` };
      stopAdmission.abort();
      return false;
    }
    return true;
  };
  const discovered = expandContainers(discover(options.inputs.paths, { include: options.inputs.include }), options.inputs.expand);
  const source = admit(discovered, admissionOpen, options.stats, admission.waitWhilePaused);
  // Aborted with the run's RunAborted: files admitted but not yet read are not read at all.
  const halt = new AbortController();
  const abort = (error: RunAborted) => {
    if (end.kind !== 'aborted') end = { kind: 'aborted', code: error.code, message: error.message };
    stopAdmission.abort();
    halt.abort(error);
    admission.cancelRequests();
  };

  await forEachBounded(
    source,
    options.window,
    async (item) => {
      try {
        return await processFile(item, options, halt.signal);
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
    async (answered) => {
      if (!answered || end.kind === 'aborted') return;
      const { documents, supersedes } = answered;
      try {
        for (const finished of documents) {
          // A carried-over record keeps the duplicate flag it was committed with.
          const { record, commit } = finished.carriedOver || !options.duplicates ? { record: finished.record } : options.duplicates.check(finished.record);
          // Commit, then write, then count: a file is never reported done before its state is saved.
          if (!finished.carriedOver)
            await options.store.putRunFile(options.resume.runId, finished.key, { record, stat: finished.stat, committedAt: Date.now() });
          await commit?.();
          await options.sink.write(record);
          options.stats.finished(record, finished.carriedOver);
        }
        // What an earlier attempt recorded for this file in another shape (whole, or split otherwise) is no record of it now.
        if (supersedes) {
          const kept = new Set(documents.map((finished) => finished.key));
          const stale = [supersedes.key, ...options.store.runFileKeysFrom(options.resume.runId, supersedes.documentsFrom)].filter((key) => !kept.has(key));
          if (stale.length > 0) await options.store.dropRunFiles(options.resume.runId, stale);
        }
      } catch (error) {
        // A full disk or a vanished folder: stop cleanly, with what was committed kept.
        if (error instanceof RunAborted) abort(error);
        else throw error;
      }
    },
  );
  if (admission.signal.aborted && end.kind === 'complete') end = { kind: 'admission_stopped', code: 'INTERRUPTED', message: 'stopped on request' };
  return end;
}

async function* admit(source: AsyncIterable<Intake>, isOpen: () => boolean, stats: RunStats, waitWhilePaused?: () => Promise<void>): AsyncGenerator<Intake> {
  let lastPath: string | undefined;
  for await (const item of source) {
    await waitWhilePaused?.();
    if (!isOpen()) return;
    // A container's parts come one after another: its first is a new file, the rest are documents of it.
    stats.discovered(item.path !== lastPath);
    lastPath = item.path;
    yield item;
  }
  stats.discoveryFinished();
}

/** Whether the files in flight and one more would likely take the spend past the budget. */
function overBudget(stats: RunStats, maxCostUsd: number, priorCostPerFile: number): boolean {
  const snapshot = stats.snapshot();
  return projectedCost(snapshot, snapshot.discovered - snapshot.finished + 1, priorCostPerFile) >= maxCostUsd;
}

/**
 * What answering an item gave: its documents (one, or each a bundle held), and, when they were
 * answered now, the states an earlier attempt may have left for the item in another shape (the
 * whole file, or its pages split otherwise): the item's key and where its documents' keys begin.
 */
interface AnsweredItem {
  readonly documents: readonly Finished[];
  readonly supersedes?: { readonly key: string; readonly documentsFrom: string };
}

async function processFile(item: Intake, options: PipelineOptions, halt: AbortSignal): Promise<AnsweredItem> {
  if (item.kind === 'error') {
    return { documents: [{ record: failedRecord(item.path, performance.now(), item.code, item.message), key: item.path, stat: null, carriedOver: false }] };
  }
  const stat = { size: item.size, mtimeMs: item.mtimeMs, ctimeMs: item.ctimeMs, ino: item.ino };
  // A part's state is its own: a mail half answered when a run was killed goes on from the attachment it stopped at.
  const key = item.kind === 'part' ? partKey(item.path, item.part.index) : item.path;
  const carried = carriedOver(key, stat, options);
  if (carried) return { documents: [carried] };
  const started = performance.now();
  if (item.kind === 'container-failed') {
    const { code, message, sha256, bytes } = item.failure;
    return {
      documents: [{ record: failedRecord(item.path, started, code, message, { sha256: sha256 ?? null, bytes: bytes ?? null }), key, stat, carriedOver: false }],
    };
  }
  if (item.kind === 'part') {
    const { index, name, sha256, bytes, problem } = item.part;
    const part = { part: { index, name } };
    if (problem) return { documents: [{ record: failedRecord(item.path, started, problem.code, problem.message, part), key, stat, carriedOver: false }] };
    const document = { path: item.path, part: { index, name, sha256: sha256!, bytes: bytes! } };
    const supersedes = { key, documentsFrom: partKey(item.path, `${index} page`) };
    // A document inside a file is found in the cache by the hash its listing gave.
    const outcome = cachedOutcome(item.path, sha256!, bytes!, null, options, started) ?? (await options.route.answer(document, stat, started, halt));
    if (isSplit(outcome)) return { documents: await answerDocuments(document, outcome, stat, options, halt), supersedes };
    return { documents: [{ record: { ...outcome, ...part }, key, stat, carriedOver: false }], supersedes };
  }
  const document = { path: item.path };
  const supersedes = { key, documentsFrom: partKey(item.path, 'page') };
  const outcome = answerFromStatCache(item.path, stat, options, started) ?? (await options.route.answer(document, stat, started, halt));
  if (isSplit(outcome)) return { documents: await answerDocuments(document, outcome, stat, options, halt), supersedes };
  return { documents: [{ record: outcome, key, stat, carriedOver: false }], supersedes };
}

/** The state an earlier attempt of this run committed under `key`, when it stands for this one (same stat, and final). */
function carriedOver(key: string, stat: FileStat, options: PipelineOptions): Finished | undefined {
  const prior = options.store.getRunFile(options.resume.runId, key);
  if (!prior || !sameStat(prior.stat, stat) || !carriesOver(prior.record, options.resume.retryFailed)) return undefined;
  options.stats.resumedFile();
  return { record: prior.record, key, stat, carriedOver: true };
}

/** Documents of one file answered at once, at most: a 40-receipt scan does not hold 40 page subsets in memory. */
const DOCUMENTS_AT_ONCE = 4;

/**
 * The documents a file turned out to hold, each answered on its own pages like a file of its own:
 * its own resume state (a run killed mid-bundle goes on from the document it stopped at), its own
 * cache identity (the file's hash and its pages), its own record (`part`: `pages 3-5`).
 */
async function answerDocuments(document: DocumentRef, split: SplitFile, stat: FileStat, options: PipelineOptions, halt: AbortSignal): Promise<Finished[]> {
  options.stats.split(split.ranges.length);
  const answered: Finished[] = [];
  let next = 0;
  const answerNext = async (): Promise<void> => {
    while (next < split.ranges.length) {
      const order = next++;
      const range = split.ranges[order]!;
      const pages = rangeName(range);
      const part = document.part ? { index: `${document.part.index} ${pages}`, name: `${document.part.name} ${pages}` } : { index: pages, name: pages };
      const key = partKey(document.path, part.index);
      const carried = carriedOver(key, stat, options);
      if (carried) {
        answered[order] = carried;
        continue;
      }
      const started = performance.now();
      const outcome =
        cachedRecord(document.path, split.sha256, split.bytes, range.to - range.from + 1, options, started, range) ??
        (await options.route.answer({ ...document, range, hashed: { sha256: split.sha256, bytes: split.bytes } }, stat, started, halt));
      if (isSplit(outcome)) throw new Error(`pages ${range.from}-${range.to} of ${document.path} were split again`);
      answered[order] = { record: { ...outcome, part }, key, stat, carriedOver: false };
    }
  };
  await Promise.all(Array.from({ length: Math.min(DOCUMENTS_AT_ONCE, split.ranges.length) }, answerNext));
  return answered;
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
