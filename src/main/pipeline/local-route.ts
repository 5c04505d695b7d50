import type { PrepareResult, PrepareTask } from '../../workers/protocol.ts';
import type { ByteBudget } from '../intake/byte-budget.ts';
import type { RunStats } from '../progress/run-stats.ts';
import type { Store } from '../state/store.ts';
import type { AnswerRoute, DocumentRef, FileStat, RouteOutcome } from './answer-route.ts';
import { rangeIdentity } from './split-documents.ts';
import { severalDocumentsIn } from './find-documents.ts';
import { askSteps } from './answer-steps.ts';
import { answeredRecord, failedRecord, unusedEInvoiceNote } from './file-record.ts';
import type { PreparePool } from './prepare-pool.ts';
import type { StepPlan } from './step-plan.ts';
import { inPhase, StepResolver } from './step-resolver.ts';

export interface LocalRouteParts {
  /** The prepare task for a file (the page window and size limit come from the config). */
  readonly taskFor: (document: DocumentRef, buildSubset: boolean) => PrepareTask;
  readonly pool: PreparePool;
  readonly plan: StepPlan;
  readonly store: Store;
  readonly stats: RunStats;
  /** Bytes of prepared pages held by files waiting on the API: the memory bound of a wide window. */
  readonly bytesInFlight: ByteBudget;
}

/** Prepares each file in a worker thread here, then asks its steps through this process's provider. */
export class LocalRoute implements AnswerRoute {
  readonly #resolver: StepResolver;

  constructor(private readonly parts: LocalRouteParts) {
    this.#resolver = new StepResolver(parts.store, parts.plan, parts.stats);
  }

  async answer(document: DocumentRef, stat: FileStat, started: number, halt: AbortSignal): Promise<RouteOutcome> {
    const { pool, plan, store, stats } = this.parts;
    const path = document.path;
    const bytes = await this.parts.bytesInFlight.take(document.part?.bytes ?? stat.size);
    try {
      stats.fileRead();
      const prepared = await inPhase(stats, 'preparing', () => this.#prepare(document, halt));
      if (prepared.kind === 'failed')
        return failedRecord(path, started, prepared.code, prepared.message, { sha256: prepared.sha256 ?? null, bytes: prepared.bytes ?? null });
      // A document split off a file is answered under the file's hash: other bytes now are another file.
      if (document.hashed && prepared.sha256 !== document.hashed.sha256) {
        const message = 'the file changed after it was split into documents; run again to answer its new content';
        return failedRecord(path, started, 'FILE_CHANGED', message, { sha256: prepared.sha256, bytes: prepared.bytes });
      }
      bytes.resize(prepared.subset.byteLength + prepared.text.length + (prepared.bundle?.subset.byteLength ?? 0));
      // The stat cache is the file's: a part is found again by the hash its container's listing gives.
      if (!document.part && !document.range) await store.putFile(path, { ...stat, sha256: prepared.sha256, pages: prepared.pageCount, hashedAt: Date.now() });
      if (prepared.ocrPages) stats.readByOcr(prepared.ocrPages);
      const ranges = await severalDocumentsIn(document, prepared, plan, this.#resolver);
      if (ranges && 'code' in ranges)
        return failedRecord(path, started, ranges.code, `finding the documents in its pages: ${ranges.message}`, {
          sha256: prepared.sha256,
          bytes: prepared.bytes,
        });
      if (ranges) return { kind: 'split', sha256: prepared.sha256, bytes: prepared.bytes, ranges };
      const identity = document.range ? rangeIdentity(prepared.sha256, document.range) : prepared.sha256;
      const answer = await askSteps(identity, prepared, plan, this.#resolver);
      const facts = { sha256: prepared.sha256, bytes: prepared.bytes, pages: prepared.pageCount };
      return answeredRecord(path, started, facts, answer, plan, unusedEInvoiceNote(prepared.einvoice));
    } finally {
      bytes.release();
    }
  }

  /**
   * Prepared once without OCR; read again with it only when the pages have no text layer and the
   * content's answers (and, for a file that may hold several documents, its split) are not cached.
   * OCR costs ~0.5–6 s a page: the same scan under 100 names (or in 100 mails) is read by OCR again
   * only while its first reading is still in flight.
   */
  async #prepare(document: DocumentRef, halt: AbortSignal): Promise<PrepareResult> {
    const { pool, plan, store } = this.parts;
    // Only Gemini reads the page subset; the offline rules need the text alone.
    const task = this.parts.taskFor(document, plan.provider.name === 'gemini');
    const prepared = await pool.prepare({ ...task, ocr: false }, halt);
    if (!task.ocr || prepared.kind === 'failed' || prepared.hasTextLayer || prepared.format === 'xml') return prepared;
    const identity = document.range ? rangeIdentity(prepared.sha256, document.range) : prepared.sha256;
    if (plan.cached(identity, store) && (!prepared.bundle || plan.storedSplit(prepared.sha256, store))) return prepared;
    return pool.prepare(task, halt);
  }
}
