import type { CheckResult } from '../checks/run-checks.ts';
import type { FileFailureCode } from '../failure-codes.ts';
/**
 * A question docpool asks of a file: its class, then (for some classes) its fields — or both in
 * one question (`--passes 1`); or both read from the e-invoice the file is or carries, asking nobody.
 * Before them, a file of many pages may be asked where the documents in it start and end (`split`).
 */
export type Step = 'classify' | 'extract' | 'one-pass' | 'e-invoice' | 'split';

/** The steps a model answers. */
export type ModelStep = Exclude<Step, 'e-invoice'>;

/** Where an answer came from: Gemini, the offline rules, or the file's own e-invoice XML. */
export type AnswerSource = 'gemini' | 'offline' | 'e-invoice';

/** What a record says of the e-invoice its answer came from, or why the one it carries was not used. */
export interface EInvoiceNote {
  /** The attachment's name (`factur-x.xml`, …) or the XML file's. */
  readonly source: string;
  /** e.g. `factur-x EN16931`, `xrechnung-ubl`, `peppol-bis-3`. */
  readonly profile?: string;
  /** A credit note's amounts are as its XML writes them: positive. */
  readonly document?: 'invoice' | 'credit_note';
  readonly typeCode?: string;
  /** Why it was not used: the model answered instead. */
  readonly problem?: string;
  /** `--e-invoice verify`: the fields where the model read the pages otherwise than the XML says ({} when it agreed on all). */
  readonly disagreements?: Readonly<Record<string, { readonly xml: unknown; readonly model: unknown }>>;
}

export interface SecondOpinionNote {
  /** The model that gave the second answer (absent when the request failed). */
  readonly model?: string;
  /** `second`: its answer passed more checks and is the record's; `first`: the first answer stands (a failed second request keeps it too). */
  readonly kept: 'first' | 'second';
  /** The checks the first answer failed, as sent to the model. */
  readonly failed: readonly string[];
  /** Why the second request gave no answer, when it failed. */
  readonly error?: string;
}

export interface TokenUsage {
  readonly input: number;
  readonly output: number;
  readonly thinking: number;
  readonly costUsd: number;
}

/** A committed answer for one step of one content hash. */
export interface StepResult {
  readonly step: Step;
  readonly source: AnswerSource;
  readonly model: string;
  readonly label?: string;
  readonly confidence?: number;
  readonly fields?: Readonly<Record<string, unknown>>;
  readonly usage: TokenUsage;
  readonly at: number;
  /** An answer read from an e-invoice: which, and what kind of document. */
  readonly eInvoice?: EInvoiceNote;
}

export const ZERO_USAGE: TokenUsage = { input: 0, output: 0, thinking: 0, costUsd: 0 };

export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return { input: a.input + b.input, output: a.output + b.output, thinking: a.thinking + b.thinking, costUsd: a.costUsd + b.costUsd };
}

/** One output line per document (JSONL, or a flattened CSV row): a file, or a part of one. */
export interface FileRecord {
  readonly path: string;
  /**
   * A document inside the file at `path`: an attachment or an archive member, by its index in the
   * listing (`2`; `1/0` inside a mail attached to the mail; `body` for a mail's own text) and its name;
   * or one of several documents in the file's pages (`pages 3-5`; `2 pages 3-5` in an attachment).
   */
  readonly part?: { readonly index: string; readonly name: string };
  readonly sha256: string | null;
  readonly bytes: number | null;
  readonly pages: number | null;
  /** `skipped`: a matched file docpool does not read (an XML file that is no e-invoice); `error` says why, and the exit code ignores it. */
  readonly status: 'done' | 'failed' | 'skipped';
  readonly class: string | null;
  readonly confidence: number | null;
  readonly fields: Readonly<Record<string, unknown>> | null;
  /** Where the answer came from: Gemini, the offline rules, or the file's e-invoice (null for a failed file). */
  readonly source: AnswerSource | null;
  /** The e-invoice the answer was read from, or the one the file carries and why it was not used. */
  readonly eInvoice?: EInvoiceNote;
  /** Answered from the cache: no request was made for this file (its content was answered before). */
  readonly cached: boolean;
  readonly models: { readonly classify?: string; readonly extract?: string };
  /** Requests the answer took: 0, read from an e-invoice; 1, class and fields from one request; 2, classified, then extracted; one more for a second opinion (absent in records made before one-pass existed). */
  readonly passes?: 0 | 1 | 2 | 3;
  /** What answering the file spent (0 for cache hits). */
  readonly usage: TokenUsage;
  /** Why it failed or was skipped. `retryable`: whether a later run retries it by itself (else only with --retry-failed). */
  readonly error: { readonly code: FileFailureCode; readonly message: string; readonly retryable: boolean } | null;
  /** The profile's checks on the answer (absent for a class without checks, and in records made before checks existed). */
  readonly checks?: readonly CheckResult[];
  /** A person should look at it: a check failed, the confidence is low, or it duplicates another file's invoice (`reviewReasons` says which). */
  readonly review?: boolean;
  readonly reviewReasons?: readonly string[];
  /** `DUPLICATE_INVOICE`: the file (of other content) with the same vendor, invoice number and total, seen first. */
  readonly duplicateOf?: string;
  /** A second opinion asked because a check failed: on which model, which answer was kept, and what the first answer failed. */
  readonly secondOpinion?: SecondOpinionNote;
  /** With --fallback offline: the API failure the offline answer stands in for. */
  readonly apiError?: { readonly code: FileFailureCode; readonly message: string };
  readonly ms: number;
}

/** A record's part as one cell: `invoice.pdf (#2)`, `pages 3-5` for a document split off a file, empty for a whole file. */
export function partLabel(record: Pick<FileRecord, 'part'>): string {
  if (!record.part) return '';
  return record.part.name === record.part.index ? record.part.name : `${record.part.name} (#${record.part.index})`;
}
