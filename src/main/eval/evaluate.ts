import type { FileRecord } from '../state/record.ts';
import { compareField, type FieldVerdict, isEmpty } from './compare-field.ts';
import type { Label } from './truth-labels.ts';

export interface FieldScore {
  /** `class.field`. */
  readonly field: string;
  readonly labelled: number;
  readonly exact: number;
  /** Right once normalised (exact ones included). */
  readonly normalised: number;
  readonly empty: number;
  readonly wrong: number;
  /** normalised ÷ labelled. */
  readonly accuracy: number;
}

export interface ClassScore {
  readonly class: string;
  /** Files labelled this class. */
  readonly support: number;
  readonly answered: number;
  readonly correct: number;
  readonly precision: number;
  readonly recall: number;
}

export interface GroupScore {
  readonly labelled: number;
  readonly correct: number;
  readonly accuracy: number;
}

export interface EvalReport {
  readonly runId: string;
  readonly labels: number;
  /** Labels matched to a record of the run (by path and part, else by content hash). */
  readonly matched: number;
  /** Labels with no record in the run: not scored (listed in `unmatchedExamples`). */
  readonly unmatched: number;
  readonly unmatchedExamples: readonly string[];
  readonly classes: readonly ClassScore[];
  /** Rows the truth, columns the answer (a failed file's answer is `(failed)`). */
  readonly confusion: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly fields: readonly FieldScore[];
  /** Field accuracy by where the answer came from (gemini, e-invoice, offline) and by the model that gave the fields. */
  readonly bySource: Readonly<Record<string, GroupScore>>;
  readonly byModel: Readonly<Record<string, GroupScore>>;
  /** What the scored records cost, and that per field they got right. */
  readonly costUsd: number;
  readonly correctFields: number;
  readonly costPerCorrectField: number | null;
}

/** Everything a record's answer is scored by: its class, fields, source, model and cost (a record, or the model's side of a verified e-invoice). */
export type ScoredAnswer = Pick<FileRecord, 'path' | 'part' | 'sha256' | 'status' | 'class' | 'fields' | 'source' | 'models' | 'usage'>;

/** A document's place: its file's path and, inside the file, its part's name. */
const placeOf = (path: string, part: string | undefined) => `${path}\u0000${part ?? ''}`;

/**
 * Scores a run's answers against labels, streaming the records once: per class precision and
 * recall with the confusion matrix, per field exact and normalised matches, empty versus wrong,
 * by source and by model, and the cost per correct field.
 */
export function evaluate(runId: string, records: Iterable<ScoredAnswer>, labels: readonly Label[]): EvalReport {
  const byPlace = new Map(labels.filter((label) => label.path).map((label) => [placeOf(label.path!, label.part), label]));
  // A content hash names one document only when no part shares it (a bundle's documents all carry the file's).
  const byHash = new Map(labels.filter((label) => label.sha256 && !label.part).map((label) => [label.sha256!, label]));
  const matched = new Set<Label>();
  const confusion = new Map<string, Map<string, number>>();
  const fields = new Map<string, Record<FieldVerdict | 'labelled', number>>();
  const bySource = new Map<string, [number, number]>();
  const byModel = new Map<string, [number, number]>();
  let costUsd = 0;
  let correctFields = 0;
  for (const record of records) {
    const label = byPlace.get(placeOf(record.path, record.part?.name)) ?? (record.sha256 && !record.part ? byHash.get(record.sha256) : undefined);
    if (!label || matched.has(label)) continue;
    matched.add(label);
    costUsd += record.usage.costUsd;
    const answered = record.status === 'done' ? (record.class ?? 'other') : `(${record.status})`;
    if (label.class) increment(confusion, label.class, answered);
    const source = record.source ?? record.status;
    const model = record.models.extract ?? record.models.classify ?? source;
    for (const [name, truth] of Object.entries(label.fields)) {
      if (isEmpty(truth)) continue;
      const verdict = record.status === 'done' ? compareField(truth, record.fields?.[name]) : 'empty';
      const key = `${label.class ?? record.class ?? '?'}.${name}`;
      const score = fields.get(key) ?? { labelled: 0, exact: 0, normalised: 0, empty: 0, wrong: 0 };
      score.labelled++;
      score[verdict]++;
      if (verdict === 'exact') score.normalised++;
      fields.set(key, score);
      const right = verdict === 'exact' || verdict === 'normalised';
      if (right) correctFields++;
      tally(bySource, source, right);
      tally(byModel, model, right);
    }
  }
  const unmatched = labels.filter((label) => !matched.has(label));
  return {
    runId,
    labels: labels.length,
    matched: matched.size,
    unmatched: unmatched.length,
    unmatchedExamples: unmatched.slice(0, 5).map((label) => label.path ?? label.sha256!),
    classes: classScores(confusion),
    confusion: Object.fromEntries([...confusion].map(([truth, row]) => [truth, Object.fromEntries(row)])),
    fields: [...fields]
      .map(([field, score]) => ({ field, ...score, accuracy: score.normalised / score.labelled }))
      .sort((a, b) => a.field.localeCompare(b.field)),
    bySource: groups(bySource),
    byModel: groups(byModel),
    costUsd,
    correctFields,
    costPerCorrectField: correctFields > 0 ? costUsd / correctFields : null,
  };
}

function classScores(confusion: Map<string, Map<string, number>>): ClassScore[] {
  const names = new Set([...confusion.keys(), ...[...confusion.values()].flatMap((row) => [...row.keys()])]);
  return [...names]
    .filter((name) => !name.startsWith('('))
    .sort()
    .map((name) => {
      const support = [...(confusion.get(name)?.values() ?? [])].reduce((sum, n) => sum + n, 0);
      const answered = [...confusion.values()].reduce((sum, row) => sum + (row.get(name) ?? 0), 0);
      const correct = confusion.get(name)?.get(name) ?? 0;
      return { class: name, support, answered, correct, precision: answered > 0 ? correct / answered : 0, recall: support > 0 ? correct / support : 0 };
    });
}

function increment(confusion: Map<string, Map<string, number>>, truth: string, answer: string): void {
  const row = confusion.get(truth) ?? new Map<string, number>();
  row.set(answer, (row.get(answer) ?? 0) + 1);
  confusion.set(truth, row);
}

function tally(groups: Map<string, [number, number]>, key: string, right: boolean): void {
  const entry = groups.get(key) ?? [0, 0];
  entry[0]++;
  if (right) entry[1]++;
  groups.set(key, entry);
}

function groups(entries: Map<string, [number, number]>): Record<string, GroupScore> {
  return Object.fromEntries([...entries].map(([key, [labelled, correct]]) => [key, { labelled, correct, accuracy: correct / labelled }]));
}

/**
 * `--truth e-invoice`: under `--e-invoice verify` every e-invoice's record holds the XML's fields
 * and, per field, where the model read otherwise. The model's answer is the XML's with those
 * fields replaced: scored against the XML, the run's own e-invoices are free labels.
 */
export function eInvoiceTruth(records: Iterable<FileRecord>): { labels: Label[]; answers: ScoredAnswer[] } {
  const labels: Label[] = [];
  const answers: ScoredAnswer[] = [];
  for (const record of records) {
    const disagreements = record.eInvoice?.disagreements;
    if (!disagreements || record.status !== 'done' || !record.fields) continue;
    labels.push({
      path: record.path,
      ...(record.part ? { part: record.part.name } : {}),
      ...(record.class ? { class: record.class } : {}),
      fields: record.fields,
    });
    // Another class: the model gave none of the invoice's fields. A list it read otherwise is known only by its length: wrong.
    const otherClass = disagreements.class !== undefined;
    const read = (field: string, value: unknown) => (value === null || !Array.isArray(record.fields![field]) ? value : { entries: value });
    const model = Object.fromEntries(Object.entries(disagreements).map(([field, { model: value }]) => [field, read(field, value)]));
    const fields = otherClass ? {} : { ...record.fields, ...model };
    const modelClass = otherClass && typeof disagreements.class!.model === 'string' ? disagreements.class!.model : record.class;
    answers.push({ ...record, class: modelClass, fields, source: 'gemini', models: {} });
  }
  return { labels, answers };
}
