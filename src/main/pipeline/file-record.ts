import type { Profile } from '../profiles/profile.ts';
import type { EInvoiceReading } from '../../workers/einvoice/facts.ts';
import { type FileFailureCode, isSkip, retriedByItself } from '../failure-codes.ts';
import { disagreements } from '../profiles/einvoice-answer.ts';
import { addUsage, type AnswerSource, type EInvoiceNote, type FileRecord, type StepResult, ZERO_USAGE } from '../state/record.ts';
import { type Answered, fieldsOf } from './answer-steps.ts';
import { spentThisRun } from './step-resolver.ts';

/** A file's record: what is known of it, the rest empty, and the time since `started`. */
export function record(path: string, started: number, { status, ...facts }: Partial<FileRecord> & Pick<FileRecord, 'status'>): FileRecord {
  return {
    path,
    status,
    sha256: null,
    bytes: null,
    pages: null,
    class: null,
    confidence: null,
    fields: null,
    source: null,
    cached: false,
    models: {},
    usage: ZERO_USAGE,
    error: null,
    ...facts,
    ms: Math.round(performance.now() - started),
  };
}

/** A failed (or skipped) file's record; `retryable` as the failure table says for its code unless the failure says otherwise. */
export function failedRecord(
  path: string,
  started: number,
  code: FileFailureCode,
  message: string,
  facts: Partial<FileRecord> = {},
  retryable = retriedByItself(code),
): FileRecord {
  return record(path, started, { status: isSkip(code) ? 'skipped' : 'failed', error: { code, message, retryable }, ...facts });
}

/** The record of a file whose questions were asked (here, or by a queue worker). */
export function answeredRecord(
  path: string,
  started: number,
  facts: Pick<FileRecord, 'sha256' | 'bytes' | 'pages'>,
  answer: Answered,
  profile: Profile,
  /** The file's e-invoice that could not be used (the model answered instead), to say why. */
  unusedEInvoice?: EInvoiceNote,
): FileRecord {
  if (!answer.ok) {
    const guessed = { ...(answer.label ? { class: answer.label } : {}), ...(answer.confidence === undefined ? {} : { confidence: answer.confidence }) };
    const note = unusedEInvoice ? { eInvoice: unusedEInvoice } : {};
    return failedRecord(path, started, answer.code, answer.message, { ...facts, ...guessed, ...note, usage: answer.usage }, answer.retryable);
  }
  const { first, extracted } = answer;
  const steps = extracted ? [first, extracted] : [first];
  const apiError = steps.find((step) => step.apiError)?.apiError;
  return record(path, started, {
    ...facts,
    status: 'done',
    ...answerOf(profile, first.result, extracted?.result),
    ...(first.result.eInvoice ? { eInvoice: verified(first.result, answer.checkedAgainst, profile) } : unusedEInvoice ? { eInvoice: unusedEInvoice } : {}),
    cached: steps.every((step) => step.cached),
    ...(apiError ? { apiError } : {}),
    passes: answer.passes,
    usage: steps.map(spentThisRun).reduce(addUsage, answer.spentBefore),
  });
}

/** The note for an e-invoice a file carries that could not be used (broken or incomplete XML): the model answered, and the record says why. */
export function unusedEInvoiceNote(reading: EInvoiceReading | undefined): EInvoiceNote | undefined {
  return reading && !reading.ok ? { source: reading.source, problem: reading.reason } : undefined;
}

/** What a done record says of its answer, from the step that gave the class and the extraction asked apart. */
export function answerOf(
  profile: Profile,
  first: StepResult,
  extracted: StepResult | undefined,
): Pick<FileRecord, 'class' | 'confidence' | 'fields' | 'source' | 'models'> {
  return {
    class: first.label ?? 'other',
    confidence: first.confidence ?? null,
    fields: fieldsOf(profile, first, extracted),
    source: sourceOf(extracted ? [first, extracted] : [first]),
    models: { classify: first.model, ...(extracted ? { extract: extracted.model } : {}) },
  };
}

/** Where a file's answer came from: its e-invoice, else the offline rules if any step was theirs, else Gemini. */
function sourceOf(results: readonly StepResult[]): AnswerSource {
  if (results[0]?.source === 'e-invoice') return 'e-invoice';
  return results.some((result) => result.source === 'offline') ? 'offline' : 'gemini';
}

/** The e-invoice note of a record, with where the model disagreed when it was asked too (`--e-invoice verify`). */
function verified(xml: StepResult, model: Answered | undefined, profile: Profile): EInvoiceNote {
  if (!model) return xml.eInvoice!;
  const read = model.ok ? { label: model.first.result.label ?? null, fields: fieldsOf(profile, model.first.result, model.extracted?.result) } : undefined;
  return { ...xml.eInvoice!, disagreements: disagreements(xml.fields ?? {}, read, xml.label!) };
}
