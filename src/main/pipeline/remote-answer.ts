import type { RemoteOutcome } from '../queue/queue-coordinator.ts';
import type { StepResult } from '../state/record.ts';
import { failedRecord, answeredRecord } from './file-record.ts';
import type { PipelineOptions } from './pipeline.ts';
import { inPhase } from './step-resolver.ts';
import { knownSteps } from '../queue/queue-coordinator.ts';
import type { FileRecord } from '../state/record.ts';

/** A queue whose workers prepare and answer files for this run (`run --queue`). */
export interface RemoteFiles {
  /** Puts the file's job on the queue (or joins it) with the answers already known, and waits for its end. */
  answer(path: string, sha256: string, known: Readonly<Record<string, StepResult>>): Promise<RemoteOutcome>;
  /** The file's answers are committed here: its job may go. */
  settled(sha256: string): Promise<void>;
}

/**
 * One file through the queue: hashed here (a worker thread reads it; the job is named by its
 * content), answered by whichever worker takes the job, then committed here exactly as a local
 * answer is: step answers to the cache, the file's facts, and its record.
 */
export async function askRemote(path: string, stat: { size: number; mtimeMs: number; ino: number }, options: PipelineOptions, remote: RemoteFiles, started: number, halt: AbortSignal): Promise<FileRecord> {
  options.stats.fileRead();
  const hashed = await inPhase(options.stats, 'preparing', () => options.pool.hash(options.taskFor(path, false), halt));
  if (hashed.kind === 'failed') return failedRecord(path, started, hashed.code, hashed.message, { bytes: hashed.bytes ?? null });
  const known = knownSteps(hashed.sha256, options.profile, options.provider, options.store);
  const outcome = await inPhase(options.stats, 'classifying', () => remote.answer(path, hashed.sha256, known));
  if (outcome.kind === 'job_failed') return failedRecord(path, started, outcome.code, outcome.message, { sha256: hashed.sha256, bytes: hashed.bytes }, true);
  if (outcome.kind === 'failed') return failedRecord(path, started, outcome.code, outcome.message, { sha256: outcome.sha256 ?? hashed.sha256, bytes: outcome.bytes ?? hashed.bytes });
  for (const [key, result] of Object.entries(outcome.fresh)) {
    await options.store.putResult(key, result);
    options.stats.answered(result.step, result.model, result.usage);
  }
  await options.store.putFile(path, { ...stat, sha256: outcome.sha256, pages: outcome.pages, hashedAt: Date.now() });
  await remote.settled(outcome.sha256);
  return answeredRecord(path, started, { sha256: outcome.sha256, bytes: outcome.bytes, pages: outcome.pages }, outcome.answer, options.profile);
}
