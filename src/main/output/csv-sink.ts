import type { Profile } from '../profiles/profile.ts';
import { type FileRecord, partLabel } from '../state/record.ts';
import { FileWriter } from './file-writer.ts';
import type { Sink } from './sink.ts';

const FIXED = [
  'path',
  'part',
  'status',
  'class',
  'confidence',
  'source',
  'cached',
  'passes',
  'sha256',
  'bytes',
  'pages',
  'error_code',
  'error_message',
  'input_tokens',
  'output_tokens',
  'thinking_tokens',
  'cost_usd',
  'ms',
  'review',
  'review_reasons',
  'duplicate_of',
] as const;

/**
 * Flattened CSV: fixed columns, then one column per top-level field of any extraction schema in
 * the profile (lists and objects as JSON). Cells are escaped against formula injection.
 */
export class CsvSink implements Sink {
  readonly #writer: FileWriter;
  readonly #fieldColumns: string[];
  #headerWritten = false;

  constructor(path: string, profile: Profile) {
    this.#writer = new FileWriter(path);
    this.#fieldColumns = [...new Set(Object.values(profile.extract).flatMap((entry) => Object.keys(entry.schema.properties ?? {})))];
  }

  async write(record: FileRecord): Promise<void> {
    if (!this.#headerWritten) {
      this.#headerWritten = true;
      await this.#writer.write(`${[...FIXED, ...this.#fieldColumns.map((name) => `field_${name}`)].map(csvCell).join(',')}\r\n`);
    }
    const fixed = [
      record.path,
      partLabel(record),
      record.status,
      record.class,
      record.confidence,
      record.source,
      record.cached,
      record.passes,
      record.sha256,
      record.bytes,
      record.pages,
      record.error?.code,
      record.error?.message,
      record.usage.input,
      record.usage.output,
      record.usage.thinking,
      record.usage.costUsd,
      record.ms,
      record.review,
      record.reviewReasons?.join('; '),
      record.duplicateOf,
    ];
    const fields = this.#fieldColumns.map((name) => record.fields?.[name]);
    await this.#writer.write(`${[...fixed, ...fields].map(csvCell).join(',')}\r\n`);
  }

  close(): Promise<void> {
    return this.#writer.close();
  }
}

/**
 * RFC 4180 quoting, plus OWASP's guard: a cell a spreadsheet would read as a formula (= + - @,
 * tab, carriage return) gets a leading apostrophe. Numbers are written as numbers.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  // OWASP's CSV-injection list (= + - @, tab, carriage return), also after leading spaces (which
  // spreadsheet programs skip) and in full-width form (＝ ＋ － ＠, which some evaluate as formulas).
  if (/^[\s\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20]|^[\t\r\n]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
