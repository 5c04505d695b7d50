import { writeFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import ExcelJS from 'exceljs';
import { UsageError } from '../errors.ts';
import { csvCell } from '../output/csv-sink.ts';
import { checkOutputPath } from '../output/output-path.ts';
import { replaceFile } from '../output/replace-file.ts';
import { printable } from '../progress/printable.ts';
import { escapeHtml } from '../report/escape-html.ts';
import { type FileRecord, partLabel } from '../state/record.ts';
import type { Store } from '../state/store.ts';
import { chooseRun } from './existing-state.ts';

/** One record a person should look at, and why. */
export interface ReviewItem {
  readonly path: string;
  /** The document inside the file, when it is one (`invoice.pdf (#2)`), else empty. */
  readonly part: string;
  readonly class: string | null;
  readonly confidence: number | null;
  readonly reasons: readonly string[];
  readonly duplicateOf: string | null;
  /** e.g. "second kept (gemini-3.8-flash)". */
  readonly secondOpinion: string | null;
}

const COLUMNS = ['path', 'part', 'class', 'confidence', 'reasons', 'duplicate_of', 'second_opinion'] as const;

/** The run's records flagged for review, in path order, streamed from the state folder. */
export function* reviewItems(store: Store, runId: string): Generator<ReviewItem> {
  for (const { record } of store.runFiles(runId)) if (record.review) yield itemOf(record);
}

function itemOf(record: FileRecord): ReviewItem {
  const second = record.secondOpinion;
  return {
    path: record.path,
    part: partLabel(record),
    class: record.class,
    confidence: record.confidence,
    reasons: record.reviewReasons ?? [],
    duplicateOf: record.duplicateOf ?? null,
    secondOpinion: second ? `${second.kept} kept${second.model ? ` (${second.model})` : ''}${second.error ? `: ${second.error}` : ''}` : null,
  };
}

const cells = (item: ReviewItem) => [item.path, item.part, item.class, item.confidence, item.reasons.join('; '), item.duplicateOf, item.secondOpinion];

/**
 * `docpool review`: the records to look at, with their reasons and paths; to the terminal, or as
 * review.csv, review.xlsx or review.html (written beside the target and renamed over it).
 */
export async function writeReview(store: Store, runId: string | undefined, out: string | undefined): Promise<{ runId: string; items: number; text?: string }> {
  const run = chooseRun(store, runId);
  const items = () => reviewItems(store, run.id);
  if (out === undefined) {
    const lines = [...items()].map((item) => printable(`${item.path}${item.part ? ` ${item.part}` : ''}\t${item.class ?? ''}\t${item.reasons.join('; ')}`));
    return { runId: run.id, items: lines.length, text: lines.join('\n') };
  }
  const kind = extname(out).toLowerCase();
  if (!['.csv', '.xlsx', '.html'].includes(kind)) throw new UsageError(`--out: expected review.csv, review.xlsx or review.html, got "${out}"`);
  const target = resolve(out);
  checkOutputPath(target, out, 'a file name ending in .csv, .xlsx or .html');
  let count = 0;
  await replaceFile(target, async (temporary) => {
    if (kind === '.xlsx') {
      const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: temporary, useStyles: false, useSharedStrings: false });
      const sheet = workbook.addWorksheet('Review');
      sheet.addRow([...COLUMNS]).commit();
      for (const item of items()) {
        sheet.addRow(cells(item)).commit();
        count++;
      }
      sheet.commit();
      await workbook.commit();
    } else {
      const rows: string[] = [];
      for (const item of items()) {
        rows.push(
          kind === '.csv'
            ? cells(item).map(csvCell).join(',')
            : `<tr>${cells(item)
                .map((value) => `<td>${escapeHtml(String(value ?? ''))}</td>`)
                .join('')}</tr>`,
        );
        count++;
      }
      writeFileSync(temporary, kind === '.csv' ? `${[COLUMNS.join(','), ...rows].join('\r\n')}\r\n` : reviewPage(run.id, rows), { flag: 'wx' });
    }
  });
  return { runId: run.id, items: count };
}

function reviewPage(runId: string, rows: readonly string[]): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>docpool review: run ${escapeHtml(runId)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}</style></head>
<body><h1>To review: ${rows.length} records of run ${escapeHtml(runId)}</h1>
<table><thead><tr>${COLUMNS.map((column) => `<th>${column}</th>`).join('')}</tr></thead><tbody>
${rows.join('\n')}
</tbody></table></body></html>
`;
}
