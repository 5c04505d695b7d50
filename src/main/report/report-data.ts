import { reviewKinds } from '../checks/answer-review.ts';
import { FailureTally } from '../progress/failure-tally.ts';
import { addUsage, type TokenUsage, ZERO_USAGE } from '../state/record.ts';
import { addSpend, type ModelSample, type RunSample, type StepSpend } from '../state/run-sample.ts';
import type { RunInfo, Store } from '../state/store.ts';

/** One of the slowest files: where the time of a run went. */
export interface SlowFile {
  readonly path: string;
  readonly ms: number;
  readonly pages: number | null;
  readonly outcome: string;
}

/** One attempt of a run (a `docpool run`), as its samples tell it. */
export interface Attempt {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly samples: readonly RunSample[];
}

/** Everything the report shows, aggregated from the state folder: its size does not grow with the run's files. */
export interface ReportData {
  readonly run: RunInfo;
  readonly files: {
    /** Documents: a record each (a mail's attachments, a bundle's documents, each its own). */
    readonly total: number;
    /** The files they came in: fewer than the documents when mails, archives or bundles held several. */
    readonly paths: number;
    readonly answered: number;
    readonly cached: number;
    readonly failed: number;
    /** Matched files docpool does not read (an XML file that is no e-invoice). */
    readonly skipped: number;
    readonly pages: number;
    readonly bytes: number;
  };
  readonly bySource: ReadonlyArray<readonly [string, number]>;
  readonly byClass: ReadonlyArray<readonly [string, number]>;
  /** `--e-invoice verify`: e-invoices checked against the model, those it disagreed on, and the fields it disagreed on. */
  readonly eInvoiceChecks: { readonly checked: number; readonly disagreeing: number; readonly byField: ReadonlyArray<readonly [string, number]> };
  /** Records flagged for review: how many, by reason, the first few, and the second opinions asked and kept. */
  readonly review: {
    readonly flagged: number;
    readonly byReason: ReadonlyArray<readonly [string, number]>;
    readonly examples: ReadonlyArray<{ readonly path: string; readonly reasons: readonly string[] }>;
    readonly secondOpinions: number;
    readonly keptSecond: number;
  };
  /** What the run's records say they cost (the file's own usage when it was answered). */
  readonly usage: TokenUsage;
  readonly failures: ReadonlyArray<{
    readonly code: string;
    readonly count: number;
    readonly retryable: boolean;
    readonly examples: ReadonlyArray<{ readonly path: string; readonly message: string }>;
  }>;
  readonly slowest: readonly SlowFile[];
  readonly attempts: readonly Attempt[];
  /** Spend by step and model, every attempt's answers summed. */
  readonly spend: readonly StepSpend[];
  /** Requests and 429s per model, every attempt summed. */
  readonly requests: readonly ModelSample[];
}

const SLOWEST = 10;
/** The report lists this many records to review; `docpool review` lists them all. */
const REVIEW_EXAMPLES = 50;
const EXAMPLES = 3;

/** Reads one run's records (streamed, never all in memory) and samples into what the report draws. */
export function readReportData(store: Store, run: RunInfo): ReportData {
  let answered = 0;
  let cached = 0;
  let failed = 0;
  let skipped = 0;
  let pages = 0;
  let bytes = 0;
  let usage = ZERO_USAGE;
  const byClass = new Map<string, number>();
  const bySource = new Map<string, number>();
  const disagreedOn = new Map<string, number>();
  let checked = 0;
  const review = {
    flagged: 0,
    byReason: new Map<string, number>(),
    examples: [] as Array<{ path: string; reasons: readonly string[] }>,
    secondOpinions: 0,
    keptSecond: 0,
  };
  let disagreeing = 0;
  const failures = new FailureTally(EXAMPLES);
  const slowest: SlowFile[] = [];
  // A file's documents are kept under its path and then their part, so they come one after another.
  let paths = 0;
  let lastPath: string | undefined;
  for (const { record } of store.runFiles(run.id)) {
    if (record.path !== lastPath) paths++;
    lastPath = record.path;
    pages += record.pages ?? 0;
    bytes += record.bytes ?? 0;
    usage = addUsage(usage, record.usage);
    if (record.status === 'skipped') skipped++;
    else if (record.status === 'failed') {
      failed++;
      failures.add(record.error?.code ?? 'UNKNOWN', record.path, record.error?.message ?? '', record.error?.retryable);
    } else {
      if (record.cached) cached++;
      else answered++;
      if (record.class) increment(byClass, record.class);
      if (record.source) increment(bySource, record.source);
      if (record.secondOpinion) {
        review.secondOpinions++;
        if (record.secondOpinion.kept === 'second') review.keptSecond++;
      }
      if (record.review) {
        review.flagged++;
        for (const kind of reviewKinds(record.reviewReasons ?? [])) increment(review.byReason, kind);
        if (review.examples.length < REVIEW_EXAMPLES) review.examples.push({ path: record.path, reasons: record.reviewReasons ?? [] });
      }
      const disagreements = record.eInvoice?.disagreements;
      if (disagreements) {
        checked++;
        if (Object.keys(disagreements).length > 0) disagreeing++;
        for (const field of Object.keys(disagreements)) increment(disagreedOn, field);
      }
    }
    keepSlowest(slowest, {
      path: record.path,
      ms: record.ms,
      pages: record.pages,
      outcome: record.status !== 'done' ? (record.error?.code ?? 'failed') : (record.class ?? 'done'),
    });
  }
  const attempts = attemptsOf(store.samples(run.id));
  return {
    run,
    files: { total: answered + cached + failed + skipped, paths, answered, cached, failed, skipped, pages, bytes },
    bySource: sortedByCount(bySource),
    byClass: sortedByCount(byClass),
    eInvoiceChecks: { checked, disagreeing, byField: sortedByCount(disagreedOn) },
    review: { ...review, byReason: sortedByCount(review.byReason) },
    usage,
    failures: failures.entries().map(([code, entry]) => ({ code, ...entry })),
    slowest,
    attempts,
    spend: sumSpend(attempts),
    requests: sumRequests(attempts),
  };
}

function attemptsOf(samples: readonly RunSample[]): Attempt[] {
  const byStart = new Map<number, RunSample[]>();
  for (const sample of samples) {
    const list = byStart.get(sample.attemptStartedAt) ?? [];
    list.push(sample);
    byStart.set(sample.attemptStartedAt, list);
  }
  return [...byStart].sort(([a], [b]) => a - b).map(([startedAt, list]) => ({ startedAt, endedAt: list.at(-1)!.at, samples: list }));
}

/** Counters are cumulative per attempt: an attempt's last sample holds its totals. */
function sumSpend(attempts: readonly Attempt[]): StepSpend[] {
  const totals = new Map<string, StepSpend>();
  for (const entry of attempts.flatMap((attempt) => attempt.samples.at(-1)!.spend)) addSpend(totals, entry);
  return [...totals.values()].sort((a, b) => b.costUsd - a.costUsd);
}

function sumRequests(attempts: readonly Attempt[]): ModelSample[] {
  const totals = new Map<string, ModelSample>();
  for (const entry of attempts.flatMap((attempt) => attempt.samples.at(-1)!.models)) {
    const sofar = totals.get(entry.model);
    totals.set(entry.model, sofar ? { ...entry, sent: sofar.sent + entry.sent, rateLimited: sofar.rateLimited + entry.rateLimited } : entry);
  }
  return [...totals.values()];
}

/** Keeps the SLOWEST slowest files seen so far, slowest first. */
function keepSlowest(slowest: SlowFile[], file: SlowFile): void {
  if (slowest.length === SLOWEST && file.ms <= slowest.at(-1)!.ms) return;
  slowest.push(file);
  slowest.sort((a, b) => b.ms - a.ms);
  if (slowest.length > SLOWEST) slowest.pop();
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function sortedByCount(counts: Map<string, number>): Array<[string, number]> {
  return [...counts].sort((a, b) => b[1] - a[1]);
}
