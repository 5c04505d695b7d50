import type { Profile } from '../profiles/profile.ts';
import type { StepFingerprints } from '../providers/provider.ts';
import { canonicalJson } from '../state/fingerprint.ts';
import type { StepPlan } from './step-plan.ts';
import type { EInvoiceReading } from '../../workers/einvoice/facts.ts';
import { type FileFailureCode, isSkip, retriedByItself } from '../failure-codes.ts';
import { disagreements } from '../profiles/einvoice-answer.ts';
import { addUsage, type AnswerSource, type EInvoiceNote, type FileRecord, type StepResult, ZERO_USAGE } from '../state/record.ts';
import type { Answered } from './answer-steps.ts';
import { fieldsOf } from './answer-fields.ts';
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
  plan: RecordPlan,
  /** The file's e-invoice that could not be used (the model answered instead), to say why. */
  unusedEInvoice?: EInvoiceNote,
): FileRecord {
  if (!answer.ok) {
    const guessed = { ...(answer.label ? { class: answer.label } : {}), ...(answer.confidence === undefined ? {} : { confidence: answer.confidence }) };
    const note = unusedEInvoice ? { eInvoice: unusedEInvoice } : {};
    return failedRecord(path, started, answer.code, answer.message, { ...facts, ...guessed, ...note, usage: answer.usage }, answer.retryable);
  }
  const { first, extracted, secondOpinion } = answer;
  const second = secondOpinion?.outcome;
  const steps = [first, ...(extracted ? [extracted] : []), ...(second?.ok ? [second] : [])];
  const apiError = steps.find((step) => step.apiError)?.apiError;
  const asked = secondOpinion && {
    label: secondOpinion.label,
    failed: secondOpinion.failed,
    ...(second?.ok ? { result: second.result } : { error: second!.message }),
  };
  return record(path, started, {
    ...facts,
    status: 'done',
    ...answerOf(plan, first.result, extracted?.result, asked),
    ...(first.result.eInvoice ? { eInvoice: verified(first.result, answer.checkedAgainst, plan.profile) } : unusedEInvoice ? { eInvoice: unusedEInvoice } : {}),
    cached: steps.every((step) => step.cached),
    ...(apiError ? { apiError } : {}),
    passes: secondOpinion ? ((answer.passes + 1) as 2 | 3) : answer.passes,
    usage: [...steps.map(spentThisRun), ...(second && !second.ok && second.usage ? [second.usage] : [])].reduce(addUsage, answer.spentBefore),
  });
}

/** The note for an e-invoice a file carries that could not be used (broken or incomplete XML): the model answered, and the record says why. */
export function unusedEInvoiceNote(reading: EInvoiceReading | undefined): EInvoiceNote | undefined {
  return reading && !reading.ok ? { source: reading.source, problem: reading.reason } : undefined;
}

/** What a record is made with: the profile, and its checks. */
export type RecordPlan = Pick<StepPlan<StepFingerprints>, 'profile' | 'checks'>;

/** A second opinion as the record sees it: what the first answer failed, and the second answer or why there is none. */
interface SecondReading {
  readonly label: string;
  readonly failed: readonly string[];
  readonly result?: StepResult;
  readonly error?: string;
}

/**
 * What a done record says of its answer: the class from the step that gave it, the fields from
 * the extraction (or the second opinion, when it passes more checks than the first answer), the
 * checks on those fields, and whether a person should look.
 */
export function answerOf(
  plan: RecordPlan,
  first: StepResult,
  extracted: StepResult | undefined,
  second?: SecondReading,
): Pick<FileRecord, 'class' | 'confidence' | 'fields' | 'source' | 'models' | 'checks' | 'review' | 'reviewReasons' | 'secondOpinion'> {
  const label = first.label ?? 'other';
  const firstFields = fieldsOf(plan.profile, first, extracted);
  const secondFields = second?.result ? fieldsOf(plan.profile, first, second.result) : undefined;
  const keptSecond = secondFields !== undefined && plan.checks.failed(label, secondFields).length < second!.failed.length;
  const kept = keptSecond ? second!.result : extracted;
  const fields = keptSecond ? secondFields : firstFields;
  // Two readings that fail alike point at the document, not the reading.
  const agreed = second?.result && !keptSecond && canonicalJson(secondFields) === canonicalJson(firstFields);
  const reviewed = plan.checks.review(
    label,
    fields,
    first.confidence ?? null,
    agreed ? [`second-opinion: ${second.result!.model} read the same; the document itself may not add up`] : [],
  );
  return {
    class: label,
    confidence: first.confidence ?? null,
    fields,
    source: sourceOf(kept ? [first, kept] : [first]),
    models: { classify: first.model, ...(kept ? { extract: kept.model } : {}) },
    ...(reviewed.checks.length > 0 ? { checks: reviewed.checks } : {}),
    review: reviewed.review,
    ...(reviewed.reviewReasons ? { reviewReasons: reviewed.reviewReasons } : {}),
    ...(second
      ? {
          secondOpinion: {
            ...(second.result ? { model: second.result.model } : {}),
            kept: keptSecond ? 'second' : 'first',
            failed: second.failed,
            ...(second.error ? { error: second.error } : {}),
          },
        }
      : {}),
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
