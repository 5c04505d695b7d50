import { reviewKinds } from '../checks/answer-review.ts';
import { FailureTally } from './failure-tally.ts';
import { RateWindow } from './rate-window.ts';
import type { FileRecord, Step, TokenUsage } from '../state/record.ts';
import { addSpend, type StepSpend } from '../state/run-sample.ts';

/** Where a file is in its life (STYLE: each file's lifecycle is a union). */
export type FilePhase = 'preparing' | 'classifying' | 'extracting';

export interface RunSnapshot {
  readonly elapsedMs: number;
  /** Documents found so far: each file, each document in a mail or archive, each document split off a file. */
  readonly discovered: number;
  /** Files taken in (a mail or archive is one file, however many documents it holds). */
  readonly files: number;
  /** Files found to hold several documents, and the documents they held. */
  readonly split: { readonly files: number; readonly documents: number };
  readonly discoveryDone: boolean;
  readonly inPhase: Readonly<Record<FilePhase, number>>;
  readonly done: number;
  readonly cached: number;
  readonly failed: number;
  /** Matched files docpool does not read (an XML file that is no e-invoice): not failures, and not in the exit code. */
  readonly skipped: number;
  readonly skippedByCode: Readonly<Record<string, number>>;
  readonly finished: number;
  readonly pages: number;
  readonly byClass: Readonly<Record<string, number>>;
  readonly bySource: Readonly<Record<string, number>>;
  /** `--e-invoice verify`: e-invoices whose XML was checked against the model, those it disagreed on, and how often per field. */
  readonly eInvoiceChecks: { readonly checked: number; readonly disagreeing: number; readonly byField: Readonly<Record<string, number>> };
  /** Answers flagged for review (by the rule or reason), and the second opinions asked and kept. */
  readonly review: ReviewTally;
  readonly failuresByCode: Readonly<Record<string, { readonly count: number; readonly example: string; readonly message: string }>>;
  readonly tokens: { readonly input: number; readonly output: number; readonly thinking: number };
  readonly costUsd: number;
  readonly retries: number;
  /** What each step on each model has cost this attempt, answer by answer. */
  readonly spend: readonly StepSpend[];
  readonly recentErrors: ReadonlyArray<{ readonly path: string; readonly code: string; readonly message: string }>;
  readonly filesPerSecond: number;
  /** Files whose bytes the workers read and hashed this run. */
  readonly filesRead: number;
  /** Pages read by OCR (scans and photos, for the offline rules). */
  readonly ocrPages: number;
  /** Unchanged files answered from the stat cache without being read. */
  readonly statHits: number;
  /** Files whose finished state was carried over from an earlier attempt of this run. */
  readonly resumed: number;
  /** Over the last 10 s. */
  readonly recentFilesPerSecond: number;
  readonly recentPagesPerSecond: number;
  readonly pagesPerSecond: number;
  /** Files finished in each of the last 60 s, oldest first. */
  readonly filesPerSecondSeries: readonly number[];
  /** Seconds to go at the last 30 s' rate; undefined while the total is unknown or nothing moves. */
  readonly etaSeconds: number | undefined;
}

export interface ReviewTally {
  readonly flagged: number;
  /** Per failed check rule (`sum`, `date-order`, `duplicate`, …), and `confidence` for a low one. */
  readonly byReason: Readonly<Record<string, number>>;
  readonly secondOpinions: number;
  readonly keptSecond: number;
}

const RECENT_SECONDS = 10;
const ETA_SECONDS = 30;

const RECENT_ERRORS = 10;

/** Plain counters fed by the pipeline; `snapshot()` is all the summary, progress lines and dashboard read. */
export class RunStats {
  readonly #started = performance.now();
  #discovered = 0;
  #files = 0;
  readonly #split = { files: 0, documents: 0 };
  #discoveryDone = false;
  readonly #inPhase: Record<FilePhase, number> = { preparing: 0, classifying: 0, extracting: 0 };
  #done = 0;
  #cached = 0;
  #failed = 0;
  #skipped = 0;
  readonly #skippedByCode: Record<string, number> = {};
  #pages = 0;
  #retries = 0;
  #costUsd = 0;
  #filesRead = 0;
  #ocrPages = 0;
  #statHits = 0;
  #resumed = 0;
  readonly #tokens = { input: 0, output: 0, thinking: 0 };
  readonly #byClass: Record<string, number> = {};
  readonly #bySource: Record<string, number> = {};
  readonly #eInvoiceChecks = { checked: 0, disagreeing: 0, byField: {} as Record<string, number> };
  readonly #review = { flagged: 0, byReason: {} as Record<string, number>, secondOpinions: 0, keptSecond: 0 };
  readonly #failures = new FailureTally(1);
  readonly #recent: Array<{ path: string; code: string; message: string }> = [];
  readonly #rates = new RateWindow();
  readonly #spend = new Map<string, StepSpend>();

  /** A document taken in; `newFile` when it is the first of its file. */
  discovered(newFile = true): void {
    this.#discovered++;
    if (newFile) this.#files++;
  }

  /** A file taken in as one document turned out to hold `documents`. */
  split(documents: number): void {
    this.#discovered += documents - 1;
    this.#split.files++;
    this.#split.documents += documents;
  }

  discoveryFinished(): void {
    this.#discoveryDone = true;
  }

  enter(phase: FilePhase): void {
    this.#inPhase[phase]++;
  }

  leave(phase: FilePhase): void {
    this.#inPhase[phase]--;
  }

  retried(): void {
    this.#retries++;
  }

  readByOcr(pages: number): void {
    this.#ocrPages += pages;
  }

  fileRead(): void {
    this.#filesRead++;
  }

  statHit(): void {
    this.#statHits++;
  }

  resumedFile(): void {
    this.#resumed++;
  }

  /** An API answer arrived (and was paid for), whatever becomes of it. */
  answered(step: Step, model: string, usage: TokenUsage): void {
    addSpend(this.#spend, { step, model, answers: 1, ...usage });
  }

  /**
   * Called once per file, after its record is committed and written. A record carried over from an
   * earlier attempt cost this attempt nothing and counts as cached here.
   */
  finished(record: FileRecord, carriedOver = false): void {
    this.#rates.record(record.pages ?? 0);
    this.#pages += record.pages ?? 0;
    if (!carriedOver) {
      this.#tokens.input += record.usage.input;
      this.#tokens.output += record.usage.output;
      this.#tokens.thinking += record.usage.thinking;
      this.#costUsd += record.usage.costUsd;
    }
    if (record.source) this.#bySource[record.source] = (this.#bySource[record.source] ?? 0) + 1;
    const disagreements = record.eInvoice?.disagreements;
    if (disagreements) {
      const fields = Object.keys(disagreements);
      this.#eInvoiceChecks.checked++;
      if (fields.length > 0) this.#eInvoiceChecks.disagreeing++;
      for (const field of fields) this.#eInvoiceChecks.byField[field] = (this.#eInvoiceChecks.byField[field] ?? 0) + 1;
    }
    if (record.status === 'skipped') {
      this.#skipped++;
      const code = record.error?.code ?? 'UNKNOWN';
      this.#skippedByCode[code] = (this.#skippedByCode[code] ?? 0) + 1;
      return;
    }
    if (record.status === 'failed') {
      this.#failed++;
      const code = record.error?.code ?? 'UNKNOWN';
      this.#failures.add(code, record.path, record.error?.message ?? '', record.error?.retryable);
      this.#recent.push({ path: record.path, code, message: record.error?.message ?? '' });
      if (this.#recent.length > RECENT_ERRORS) this.#recent.shift();
      return;
    }
    this.#tallyReview(record);
    if (record.cached || carriedOver) this.#cached++;
    else this.#done++;
    if (record.class) this.#byClass[record.class] = (this.#byClass[record.class] ?? 0) + 1;
  }

  #tallyReview(record: FileRecord): void {
    const review = this.#review;
    if (record.secondOpinion) {
      review.secondOpinions++;
      if (record.secondOpinion.kept === 'second') review.keptSecond++;
    }
    if (!record.review) return;
    review.flagged++;
    for (const reason of reviewKinds(record.reviewReasons ?? [])) review.byReason[reason] = (review.byReason[reason] ?? 0) + 1;
  }

  snapshot(): RunSnapshot {
    const elapsedMs = performance.now() - this.#started;
    const finished = this.#done + this.#cached + this.#failed + this.#skipped;
    const recent = this.#rates.rate(RECENT_SECONDS);
    const etaRate = this.#rates.rate(ETA_SECONDS).files;
    const remaining = this.#discovered - finished;
    return {
      elapsedMs,
      discovered: this.#discovered,
      discoveryDone: this.#discoveryDone,
      inPhase: { ...this.#inPhase },
      done: this.#done,
      cached: this.#cached,
      failed: this.#failed,
      skipped: this.#skipped,
      skippedByCode: { ...this.#skippedByCode },
      finished,
      pages: this.#pages,
      byClass: { ...this.#byClass },
      bySource: { ...this.#bySource },
      eInvoiceChecks: { ...this.#eInvoiceChecks, byField: { ...this.#eInvoiceChecks.byField } },
      review: { ...this.#review, byReason: { ...this.#review.byReason } },
      failuresByCode: Object.fromEntries(
        this.#failures.entries().map(([code, entry]) => [code, { count: entry.count, example: entry.examples[0]!.path, message: entry.examples[0]!.message }]),
      ),
      tokens: { ...this.#tokens },
      costUsd: this.#costUsd,
      retries: this.#retries,
      spend: [...this.#spend.values()],
      recentErrors: [...this.#recent],
      filesPerSecond: finished / Math.max(elapsedMs / 1000, 0.001),
      filesRead: this.#filesRead,
      ocrPages: this.#ocrPages,
      files: this.#files,
      split: { ...this.#split },
      statHits: this.#statHits,
      resumed: this.#resumed,
      recentFilesPerSecond: recent.files,
      recentPagesPerSecond: recent.pages,
      pagesPerSecond: this.#pages / Math.max(elapsedMs / 1000, 0.001),
      filesPerSecondSeries: this.#rates.filesPerSecondSeries(),
      etaSeconds: this.#discoveryDone && etaRate > 0 ? remaining / etaRate : undefined,
    };
  }
}
