import { extname } from 'node:path';
import { UsageError } from '../errors.ts';
import type { Profile } from '../profiles/profile.ts';
import { CsvSink } from './csv-sink.ts';
import { JsonlSink } from './jsonl-sink.ts';
import type { Sink } from './sink.ts';
import { XlsxSink } from './xlsx-sink.ts';

/** How to open the results file's sinks: the file itself, and its live copy while the run goes. */
export interface SinkOpeners {
  readonly final: (path: string) => Sink;
  /** A workbook cannot be watched while it is written: its live copy is JSON lines. */
  readonly partial: (path: string) => Sink;
}

/**
 * Checks the output name now (a usage error before any work starts) and returns how to open a
 * sink of its kind later: `.csv` (flattened, with the profile's fields as columns), `.xlsx` (a
 * sheet per class and a Review sheet) or `.jsonl`/`.ndjson`.
 */
export function sinkFor(out: string, profile: () => Profile): SinkOpeners {
  const extension = extname(out).toLowerCase();
  const jsonl = (path: string) => new JsonlSink(path);
  if (extension === '.csv') return { final: (path) => new CsvSink(path, profile()), partial: (path) => new CsvSink(path, profile()) };
  if (extension === '.xlsx') return { final: (path) => new XlsxSink(path, profile()), partial: jsonl };
  if (extension === '.jsonl' || extension === '.ndjson') return { final: jsonl, partial: jsonl };
  throw new UsageError(`--out: expected a .jsonl, .csv or .xlsx file, got "${out}"`);
}
