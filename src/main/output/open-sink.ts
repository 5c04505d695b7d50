import { extname } from 'node:path';
import { UsageError } from '../errors.ts';
import type { Profile } from '../profiles/profile.ts';
import { CsvSink } from './csv-sink.ts';
import { JsonlSink } from './jsonl-sink.ts';
import type { Sink } from './sink.ts';

/**
 * Checks the output name now (a usage error before any work starts) and returns how to open it
 * later: `.csv` (flattened, with the profile's fields as columns) or `.jsonl`/`.ndjson`.
 */
export function sinkFor(out: string, profile: () => Profile): () => Sink {
  const extension = extname(out).toLowerCase();
  if (extension === '.csv') return () => new CsvSink(out, profile());
  if (extension === '.jsonl' || extension === '.ndjson') return () => new JsonlSink(out);
  throw new UsageError(`--out: expected a .jsonl or .csv file, got "${out}"`);
}
