import { UsageError } from '../errors.ts';
import { eInvoiceTruth, type EvalReport, evaluate } from '../eval/evaluate.ts';
import { readLabels } from '../eval/truth-labels.ts';
import { count } from '../progress/numbers.ts';
import { printable } from '../progress/printable.ts';
import type { Store } from '../state/store.ts';
import { chooseRun } from './existing-state.ts';

/** `--truth e-invoice`: the run's own e-invoices (under --e-invoice verify) are the labels. */
export const E_INVOICE_TRUTH = 'e-invoice';

/** Scores a run against labels, or against its own e-invoices' XML. */
export function evalRun(store: Store, runId: string | undefined, truth: string): EvalReport {
  const run = chooseRun(store, runId);
  const records = () =>
    (function* () {
      for (const { record } of store.runFiles(run.id)) yield record;
    })();
  if (truth !== E_INVOICE_TRUTH) return evaluate(run.id, records(), readLabels(truth));
  const { labels, answers } = eInvoiceTruth(records());
  if (labels.length === 0)
    throw new UsageError(
      `--truth e-invoice: run ${run.id} has no e-invoice the model read too; run with --e-invoice verify to score the model against the XML`,
    );
  return evaluate(run.id, answers, labels);
}

/** `--min-accuracy total=0.95,vendor_invoice.invoice_number=0.9`: a field name pools every class's field of that name. */
export function parseMinAccuracy(text: string): Record<string, number> {
  const floors: Record<string, number> = {};
  for (const part of text.split(',').filter(Boolean)) {
    const match = /^([a-z0-9_.]+)=(0(?:\.\d+)?|1(?:\.0+)?)$/.exec(part.trim());
    if (!match) throw new UsageError(`--min-accuracy: expected field=share pairs like total=0.95,invoice_number=0.9, got "${part}"`);
    floors[match[1]!] = Number(match[2]);
  }
  return floors;
}

/** The fields below their floor, each with its accuracy; a floor naming no scored field is a failure too (a typo must not pass). */
export function belowFloors(report: EvalReport, floors: Record<string, number>): string[] {
  return Object.entries(floors).flatMap(([name, floor]) => {
    const scores = report.fields.filter((score) => score.field === name || score.field.endsWith(`.${name}`));
    if (scores.length === 0) return [`${name}: no labelled field of that name was scored`];
    const labelled = scores.reduce((sum, score) => sum + score.labelled, 0);
    const right = scores.reduce((sum, score) => sum + score.normalised, 0);
    return right / labelled < floor ? [`${name}: ${percent(right / labelled)} of ${count(labelled)}, below ${percent(floor)}`] : [];
  });
}

export function formatEval(report: EvalReport): string {
  const lines = [
    `docpool eval: run ${report.runId}: ${count(report.labels)} labels, ${count(report.matched)} matched to a record${report.unmatched > 0 ? `, ${count(report.unmatched)} with no record in the run (e.g. ${report.unmatchedExamples[0]})` : ''}`,
    '',
    `${'class'.padEnd(26)} ${'labelled'.padStart(8)} ${'answered'.padStart(8)} ${'precision'.padStart(9)} ${'recall'.padStart(7)}`,
    ...report.classes.map(
      (score) =>
        `${score.class.padEnd(26)} ${count(score.support).padStart(8)} ${count(score.answered).padStart(8)} ${percent(score.precision).padStart(9)} ${percent(score.recall).padStart(7)}`,
    ),
  ];
  const confusion = Object.entries(report.confusion).flatMap(([truth, row]) =>
    Object.entries(row)
      .filter(([answer]) => answer !== truth)
      .map(([answer, files]) => `  ${truth} answered as ${answer}: ${count(files)}`),
  );
  if (confusion.length > 0) lines.push('', 'confused (truth answered as):', ...confusion);
  lines.push(
    '',
    `${'field'.padEnd(40)} ${'labelled'.padStart(8)} ${'exact'.padStart(6)} ${'right'.padStart(6)} ${'empty'.padStart(6)} ${'wrong'.padStart(6)} ${'accuracy'.padStart(8)}`,
    ...report.fields.map(
      (score) =>
        `${score.field.padEnd(40)} ${count(score.labelled).padStart(8)} ${count(score.exact).padStart(6)} ${count(score.normalised).padStart(6)} ${count(score.empty).padStart(6)} ${count(score.wrong).padStart(6)} ${percent(score.accuracy).padStart(8)}`,
    ),
    '',
    `by source  ${groupLine(report.bySource)}`,
    `by model   ${groupLine(report.byModel)}`,
    `cost       $${report.costUsd.toFixed(4)} for ${count(report.correctFields)} fields right${report.costPerCorrectField === null ? '' : ` ($${report.costPerCorrectField.toFixed(6)} per right field)`}`,
    '("right": equal once normalised: numbers within 0.01, dates as dates, names without case, spacing, accents or legal form)',
  );
  return lines.map(printable).join('\n');
}

function groupLine(groups: EvalReport['bySource']): string {
  return Object.entries(groups)
    .map(([name, group]) => `${name} ${percent(group.accuracy)} of ${count(group.labelled)} fields`)
    .join('; ');
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}
