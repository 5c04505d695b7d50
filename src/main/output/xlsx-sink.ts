import { createReadStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import ExcelJS from 'exceljs';
import type { Profile } from '../profiles/profile.ts';
import { type FileRecord, partLabel } from '../state/record.ts';
import { FileWriter } from './file-writer.ts';
import type { Sink } from './sink.ts';

/** Excel's limit on a sheet name. */
const SHEET_NAME_MAX = 31;
const FIRST_COLUMNS = ['path', 'part', 'confidence', 'source', 'review', 'review_reasons'] as const;
const REVIEW_COLUMNS = ['path', 'part', 'class', 'confidence', 'review_reasons', 'duplicate_of', 'second_opinion'] as const;
const NOT_ANSWERED_COLUMNS = ['path', 'part', 'status', 'code', 'message'] as const;

/**
 * The results as a workbook: a sheet per class (its own fields as columns), a Review sheet (the
 * records a person should look at, with why), and a sheet of the files that failed or were skipped.
 * A streamed workbook writes one sheet after another, so records wait in a line file per sheet
 * beside the output (bounded by disk, not memory) until `close` writes the workbook from them.
 */
export class XlsxSink implements Sink {
  readonly #parts: string;
  readonly #writers = new Map<string, FileWriter>();
  readonly #order: string[] = [];

  constructor(
    private readonly path: string,
    private readonly profile: Profile,
  ) {
    this.#parts = `${path}.parts`;
    rmSync(this.#parts, { recursive: true, force: true });
    mkdirSync(this.#parts);
  }

  async write(record: FileRecord): Promise<void> {
    if (record.status !== 'done')
      return this.#append('not answered', [record.path, partLabel(record), record.status, record.error?.code ?? '', record.error?.message ?? '']);
    const label = record.class ?? 'other';
    const fields = this.#fieldNames(label).map((name) => cell(record.fields?.[name]));
    const reasons = (record.reviewReasons ?? []).join('\n');
    await this.#append(`class ${label}`, [record.path, partLabel(record), record.confidence, record.source, record.review === true, reasons, ...fields]);
    if (record.review) {
      const second = record.secondOpinion ? `${record.secondOpinion.kept} kept (${record.secondOpinion.model ?? record.secondOpinion.error ?? ''})` : '';
      await this.#append('review', [record.path, partLabel(record), label, record.confidence, reasons, record.duplicateOf ?? '', second]);
    }
  }

  async close(): Promise<void> {
    for (const writer of this.#writers.values()) await writer.close();
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: this.path, useStyles: false, useSharedStrings: false });
    const sheets = [
      ...this.#order.filter((sheet) => sheet.startsWith('class ')).sort(),
      ...(this.#order.includes('review') ? ['review'] : []),
      ...(this.#order.includes('not answered') ? ['not answered'] : []),
    ];
    const titles = new Set<string>();
    for (const sheet of sheets) {
      const worksheet = workbook.addWorksheet(uniqueTitle(sheetTitle(sheet), titles));
      worksheet.addRow([...this.#header(sheet)]).commit();
      const lines = createInterface({ input: createReadStream(this.#partFile(sheet)), crlfDelay: Number.POSITIVE_INFINITY });
      for await (const line of lines) worksheet.addRow(JSON.parse(line) as unknown[]).commit();
      worksheet.commit();
    }
    if (sheets.length === 0) workbook.addWorksheet('results').commit();
    await workbook.commit();
    rmSync(this.#parts, { recursive: true, force: true });
  }

  #header(sheet: string): readonly string[] {
    if (sheet === 'review') return REVIEW_COLUMNS;
    if (sheet === 'not answered') return NOT_ANSWERED_COLUMNS;
    return [...FIRST_COLUMNS, ...this.#fieldNames(sheet.slice('class '.length))];
  }

  #fieldNames(label: string): string[] {
    return Object.keys(this.profile.extract[label]?.schema.properties ?? {});
  }

  async #append(sheet: string, row: readonly unknown[]): Promise<void> {
    let writer = this.#writers.get(sheet);
    if (!writer) {
      this.#order.push(sheet);
      writer = new FileWriter(this.#partFile(sheet));
      this.#writers.set(sheet, writer);
    }
    await writer.write(`${JSON.stringify(row)}\n`);
  }

  #partFile(sheet: string): string {
    return join(this.#parts, `${this.#order.indexOf(sheet)}.jsonl`);
  }
}

/** A cell's value: numbers, text and booleans as themselves; lists and objects as JSON text. */
function cell(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  return typeof value === 'object' ? JSON.stringify(value) : value;
}

/** Two long class names cut to the same 31 characters get a number, as Excel wants every sheet named apart. */
function uniqueTitle(title: string, taken: Set<string>): string {
  let unique = title;
  for (let copy = 2; taken.has(unique.toLowerCase()); copy++) unique = `${title.slice(0, SHEET_NAME_MAX - String(copy).length - 1)}~${copy}`;
  taken.add(unique.toLowerCase());
  return unique;
}

/** A sheet's title: the class name as it is (class names are lower_snake_case), cut to Excel's 31 characters. */
function sheetTitle(sheet: string): string {
  const title = sheet === 'review' ? 'Review' : sheet === 'not answered' ? 'Failed or skipped' : sheet.slice('class '.length);
  return title.slice(0, SHEET_NAME_MAX);
}
