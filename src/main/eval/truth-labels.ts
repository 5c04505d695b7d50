import { readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { UsageError } from '../errors.ts';

/**
 * One labelled document: found by its path (and, for a document inside a file, its part's name:
 * an attachment's, or `pages 3-5` of a bundle) or its content hash; its true class, and the true
 * values of the fields labelled (a field left out, or empty in a CSV, is not scored).
 */
export interface Label {
  readonly path?: string;
  readonly part?: string;
  readonly sha256?: string;
  readonly class?: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/**
 * Reads labels from JSON lines (`{"path" | "file" | "sha256", "part", "class", "fields": {…}}`, the
 * shape of a generated corpus's manifest.jsonl) or CSV (columns `path` or `sha256`, `part`, `class`,
 * and `field_<name>` per field: the template `docpool sample` writes). Relative paths are taken from
 * the labels file's folder.
 */
export function readLabels(file: string): Label[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--truth: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const base = dirname(resolve(file));
  const where = (path: unknown) => (typeof path === 'string' && path !== '' ? (isAbsolute(path) ? path : resolve(base, path)) : undefined);
  const kind = extname(file).toLowerCase();
  if (kind === '.csv') return csvLabels(text, file, where);
  if (kind === '.jsonl' || kind === '.ndjson') return jsonLabels(text, file, where);
  throw new UsageError(`--truth: expected labels as .jsonl or .csv (or the word e-invoice), got "${file}"`);
}

function jsonLabels(text: string, file: string, where: (path: unknown) => string | undefined): Label[] {
  return text
    .split('\n')
    .map((line, index) => [line.trim(), index + 1] as const)
    .filter(([line]) => line !== '')
    .map(([line, number]) => {
      let value: Record<string, unknown>;
      try {
        value = JSON.parse(line) as Record<string, unknown>;
      } catch (error) {
        throw new UsageError(`--truth ${file}, line ${number}: not JSON (${(error as Error).message})`);
      }
      return label(
        value.path ?? value.file,
        value.sha256,
        value.part,
        value.class,
        (value.fields ?? {}) as Record<string, unknown>,
        `${file}, line ${number}`,
        where,
      );
    });
}

function csvLabels(text: string, file: string, where: (path: unknown) => string | undefined): Label[] {
  let rows: Array<Record<string, string>>;
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, bom: true, relax_column_count: true }) as Array<Record<string, string>>;
  } catch (error) {
    throw new UsageError(`--truth ${file}: not CSV docpool can read (${(error as Error).message})`);
  }
  return rows.map((row, index) => {
    const fields = Object.fromEntries(
      Object.entries(row)
        .filter(([column, value]) => column.startsWith('field_') && value.trim() !== '')
        .map(([column, value]) => [column.slice('field_'.length), cellValue(value)]),
    );
    return label(row.path, row.sha256, row.part, row.class, fields, `${file}, row ${index + 2}`, where);
  });
}

function label(
  path: unknown,
  sha256: unknown,
  part: unknown,
  labelClass: unknown,
  fields: Record<string, unknown>,
  at: string,
  where: (path: unknown) => string | undefined,
): Label {
  const found = where(path);
  const hash = typeof sha256 === 'string' && /^[0-9a-f]{64}$/.test(sha256) ? sha256 : undefined;
  if (!found && !hash) throw new UsageError(`--truth ${at}: a label needs a path (or file) or a sha256 to find its record`);
  return {
    ...(found ? { path: found } : {}),
    ...(hash ? { sha256: hash } : {}),
    ...(typeof part === 'string' && part !== '' ? { part } : {}),
    ...(typeof labelClass === 'string' && labelClass !== '' ? { class: labelClass } : {}),
    fields,
  };
}

/** A CSV cell as the value it writes: a number, a list or object (JSON), or text. */
function cellValue(text: string): unknown {
  const trimmed = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(trimmed) && !/^0\d/.test(trimmed)) return Number(trimmed);
  if (/^[[{]/.test(trimmed)) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return text; // text that only looks like JSON
    }
  }
  // The results CSV guards formulas with a leading apostrophe; the label is the value without it.
  return /^'[=+\-@\t\r]/.test(text) ? text.slice(1) : text;
}
