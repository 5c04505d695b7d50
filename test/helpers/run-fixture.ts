import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifest, type ManifestEntry } from '../../src/corpus/generate.ts';
import type { FileRecord } from '../../src/main/state/record.ts';

export function readManifest(dir: string): ManifestEntry[] {
  return parseManifest(readFileSync(join(dir, 'manifest.jsonl'), 'utf8'));
}

export function readRecords(path: string): FileRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as FileRecord);
}

/** Records keyed by the corpus-relative file name, checking there is exactly one per path. */
export function recordsByFile(records: FileRecord[], corpus: string): Map<string, FileRecord> {
  const byFile = new Map<string, FileRecord>();
  for (const record of records) {
    const file = record.path.slice(corpus.length + 1);
    if (byFile.has(file)) throw new Error(`duplicate record for ${file}`);
    byFile.set(file, record);
  }
  return byFile;
}

/** The fields docpool's finance profile extracts, compared with the generator's truth. */
export function expectedFields(entry: ManifestEntry): Record<string, unknown> {
  return entry.fields as Record<string, unknown>;
}

/** Lines in a results file so far (0 before it exists). */
export function lineCount(path: string): number {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').length - 1 : 0;
}

/** Waits until a results file holds `count` lines: the run is committing files. */
export async function waitForLines(path: string, count: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (lineCount(path) >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`fewer than ${count} lines in ${path} after ${timeoutMs} ms`);
}
