import { extname } from 'node:path';
import { UsageError } from '../errors.ts';
import type { Profile } from '../profiles/profile.ts';
import { CsvSink } from './csv-sink.ts';
import { JsonlSink } from './jsonl-sink.ts';
import type { Sink } from './sink.ts';

/**
 * Checks the output name now (a usage error before any work starts) and returns how to open a
 * sink of its kind later, at `out` or at another path (a temporary file beside it):
 * `.csv` (flattened, with the profile's fields as columns) or `.jsonl`/`.ndjson`.
 */
export function sinkFor(out: string, profile: () => Profile): (path?: string) => Sink {
  const extension = extname(out).toLowerCase();
  if (extension === '.csv') return (path = out) => new CsvSink(path, profile());
  if (extension === '.jsonl' || extension === '.ndjson') return (path = out) => new JsonlSink(path);
  throw new UsageError(`--out: expected a .jsonl or .csv file, got "${out}"`);
}
