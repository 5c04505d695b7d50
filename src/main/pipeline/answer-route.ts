import type { PageRange } from '../../workers/protocol.ts';
import type { FileRecord } from '../state/record.ts';

/** A file's stat as discovery saw it: what the stat cache and the run's per-file state compare. */
export type FileStat = { readonly size: number; readonly mtimeMs: number; readonly ctimeMs: number; readonly ino: number };

/** A document to answer: a file, or a part of one (an attachment, an archive member) with its content's hash. */
export interface DocumentRef {
  readonly path: string;
  readonly part?: { readonly index: string; readonly name: string; readonly sha256: string; readonly bytes: number };
  /** One of several documents in the file (or part): its pages. */
  readonly range?: PageRange;
  /** The file's content hash and size, when known already (a document split off it). */
  readonly hashed?: { readonly sha256: string; readonly bytes: number };
}

/** A file (or part) found to hold several documents: each is answered on its own pages, with its own record. */
export interface SplitFile {
  readonly kind: 'split';
  /** The file's content hash: with a range, each document's identity. */
  readonly sha256: string;
  readonly bytes: number;
  readonly ranges: readonly PageRange[];
}

/** What answering a document gives: its record, or the documents it turned out to hold. */
export type RouteOutcome = FileRecord | SplitFile;

export function isSplit(outcome: RouteOutcome): outcome is SplitFile {
  return 'kind' in outcome && outcome.kind === 'split';
}

/**
 * How a file the caches could not answer gets its answers, chosen once per run: here (prepare,
 * then ask over an online or a batch transport: LocalRoute) or by a queue's workers (RemoteRoute).
 * Either commits the step answers and the file's facts before returning its record.
 */
export interface AnswerRoute {
  answer(document: DocumentRef, stat: FileStat, started: number, halt: AbortSignal): Promise<RouteOutcome>;
}
