import type { FileRecord } from '../state/record.ts';

/** A file's stat as discovery saw it: what the stat cache and the run's per-file state compare. */
export type FileStat = { readonly size: number; readonly mtimeMs: number; readonly ctimeMs: number; readonly ino: number };

/** A document to answer: a file, or a part of one (an attachment, an archive member) with its content's hash. */
export interface DocumentRef {
  readonly path: string;
  readonly part?: { readonly index: string; readonly name: string; readonly sha256: string; readonly bytes: number };
}

/**
 * How a file the caches could not answer gets its answers, chosen once per run: here (prepare,
 * then ask over an online or a batch transport: LocalRoute) or by a queue's workers (RemoteRoute).
 * Either commits the step answers and the file's facts before returning its record.
 */
export interface AnswerRoute {
  answer(document: DocumentRef, stat: FileStat, started: number, halt: AbortSignal): Promise<FileRecord>;
}
