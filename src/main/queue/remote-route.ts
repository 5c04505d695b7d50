import type { PreparePool } from '../pipeline/prepare-pool.ts';
import type { RunStats } from '../progress/run-stats.ts';
import type { RemoteOutcome } from './file-job.ts';
import type { FileRecord, StepResult } from '../state/record.ts';
import type { Store } from '../state/store.ts';
import type { PrepareTask } from '../../workers/protocol.ts';
import { answeredRecord, failedRecord } from '../pipeline/file-record.ts';
import type { StepFingerprints } from '../providers/provider.ts';
import type { AnswerRoute, DocumentRef, FileStat, RouteOutcome } from '../pipeline/answer-route.ts';
import type { PageRange } from '../../workers/protocol.ts';
import { rangeIdentity } from '../pipeline/split-documents.ts';
import type { StepPlan } from '../pipeline/step-plan.ts';
import { inPhase } from '../pipeline/step-resolver.ts';

/** A queue whose workers prepare and answer files for this run (`run --queue`). */
export interface RemoteFiles {
  /** Puts the file's job on the queue (or joins it) with the answers already known, and waits for its end. */
  answer(document: DocumentRef, sha256: string, known: Readonly<Record<string, StepResult>>): Promise<RemoteOutcome>;
  /** The file's (or its pages') answers are committed here: its job may go. */
  settled(sha256: string, range?: PageRange): Promise<void>;
}

export interface RemoteRouteParts {
  /** The prepare task for a file: here only to hash it. */
  readonly taskFor: (document: DocumentRef, buildSubset: boolean) => PrepareTask;
  readonly pool: PreparePool;
  readonly plan: StepPlan<StepFingerprints>;
  readonly store: Store;
  readonly stats: RunStats;
  readonly queue: RemoteFiles;
}

/**
 * Each file through the queue: hashed here (a worker thread reads it; the job is named by its
 * content), answered by whichever worker takes the job, then committed here exactly as a local
 * answer is: step answers to the cache, the file's facts, and its record.
 */
export class RemoteRoute implements AnswerRoute {
  constructor(private readonly parts: RemoteRouteParts) {}

  async answer(document: DocumentRef, stat: FileStat, started: number, halt: AbortSignal): Promise<RouteOutcome> {
    const { pool, plan, store, stats, queue } = this.parts;
    const { path, range } = document;
    stats.fileRead();
    // A part was hashed when its container was listed, a document split off a file with the file.
    const hashedBefore = document.part ?? document.hashed;
    const hashed = hashedBefore
      ? { kind: 'hashed' as const, sha256: hashedBefore.sha256, bytes: hashedBefore.bytes }
      : await inPhase(stats, 'preparing', () => pool.hash(this.parts.taskFor(document, false), halt));
    if (hashed.kind === 'failed') return failedRecord(path, started, hashed.code, hashed.message, { bytes: hashed.bytes ?? null });
    const known = knownSteps(range ? rangeIdentity(hashed.sha256, range) : hashed.sha256, plan, store);
    const outcome = await inPhase(stats, 'classifying', () => queue.answer(document, hashed.sha256, known));
    if (outcome.kind === 'job_failed') return failedRecord(path, started, outcome.code, outcome.message, { sha256: hashed.sha256, bytes: hashed.bytes });
    if (outcome.kind === 'failed')
      return failedRecord(path, started, outcome.code, outcome.message, { sha256: outcome.sha256 ?? hashed.sha256, bytes: outcome.bytes ?? hashed.bytes });
    for (const [key, result] of Object.entries(outcome.fresh)) {
      await store.putResult(key, result);
      // An answer read from an e-invoice, or a split the page cues made, was asked of no model: it counts no request.
      if (result.step === 'split' ? result.source === 'gemini' : result.step !== 'e-invoice') stats.answered(result.step, result.model, result.usage);
    }
    if (!document.part && !range) await store.putFile(path, { ...stat, sha256: outcome.sha256, pages: outcome.pages, hashedAt: Date.now() });
    await queue.settled(outcome.sha256, range);
    if (outcome.kind === 'split') return { kind: 'split', sha256: outcome.sha256, bytes: outcome.bytes, ranges: outcome.ranges };
    const facts = { sha256: outcome.sha256, bytes: outcome.bytes, pages: outcome.pages };
    return answeredRecord(path, started, facts, outcome.answer, plan, outcome.unusedEInvoice);
  }
}

/** The answers already committed for this content, for every step the settings could ask. */
function knownSteps(sha256: string, plan: StepPlan<StepFingerprints>, store: Store): Record<string, StepResult> {
  const known: Record<string, StepResult> = {};
  for (const { key, expected } of plan.possibleSteps(sha256)) {
    const result = plan.read(store, key, expected);
    if (result) known[key] = result;
  }
  return known;
}
