import { isDeepStrictEqual } from 'node:util';
import type { ManifestEntry } from '../../src/corpus/generate.ts';
import { FINANCE_PROFILE } from '../../src/main/profiles/finance.ts';
import type { FileRecord } from '../../src/main/state/record.ts';

const EXTRACTED = new Set(Object.keys(FINANCE_PROFILE.extract));

/** How a results file compares with the generator's truth. */
export interface Verdict {
  readonly files: number;
  /** Input files with no record: lost work. */
  readonly missing: number;
  readonly duplicates: number;
  /** Records for paths that are not input files. */
  readonly strays: number;
  /** Answered (status done) but with the wrong class or fields, or a damaged file not failed with its code. */
  readonly wrong: number;
  readonly answered: number;
  /** Intact files that failed (API or model failures the run could not get past). */
  readonly failedIntact: number;
  readonly examples: readonly string[];
}

/** The API calls an intact file needs: a classification, and an extraction for extract classes. */
export function callsNeeded(manifest: readonly ManifestEntry[]): number {
  return manifest.filter((entry) => !entry.damaged).reduce((sum, entry) => sum + (EXTRACTED.has(entry.class) ? 2 : 1), 0);
}

export function verify(records: readonly FileRecord[], corpus: string, manifest: readonly ManifestEntry[]): Verdict {
  const byFile = new Map<string, FileRecord[]>();
  for (const record of records) {
    const file = record.path.slice(corpus.length + 1);
    byFile.set(file, [...(byFile.get(file) ?? []), record]);
  }
  const examples: string[] = [];
  const note = (text: string) => examples.length < 5 && examples.push(text);
  let missing = 0;
  let duplicates = 0;
  let wrong = 0;
  let answered = 0;
  let failedIntact = 0;
  for (const entry of manifest) {
    const found = byFile.get(entry.file) ?? [];
    byFile.delete(entry.file);
    if (found.length === 0) {
      missing++;
      note(`${entry.file}: no record`);
      continue;
    }
    if (found.length > 1) {
      duplicates += found.length - 1;
      note(`${entry.file}: ${found.length} records`);
    }
    const record = found[0]!;
    if (entry.damaged) {
      if (record.error?.code !== entry.damaged) {
        wrong++;
        note(`${entry.file}: ${record.error?.code ?? record.status}, expected ${entry.damaged}`);
      }
      continue;
    }
    if (record.status === 'failed') {
      failedIntact++;
      continue;
    }
    answered++;
    const fieldsRight = EXTRACTED.has(entry.class) ? isDeepStrictEqual(record.fields, entry.fields) : record.fields === null;
    if (record.class !== entry.class || !fieldsRight) {
      wrong++;
      note(`${entry.file}: answered ${record.class}, expected ${entry.class}${fieldsRight ? '' : ' (fields differ)'}`);
    }
  }
  return { files: manifest.length, missing, duplicates, strays: byFile.size, wrong, answered, failedIntact, examples };
}

/** True when nothing was lost, duplicated, invented or answered wrongly. */
export function sound(verdict: Verdict): boolean {
  return verdict.missing === 0 && verdict.duplicates === 0 && verdict.strays === 0 && verdict.wrong === 0;
}

export function describe(verdict: Verdict): string {
  return `${verdict.files} files: ${verdict.answered} answered, ${verdict.failedIntact} intact failed, ${verdict.missing} missing, ${verdict.duplicates} duplicate, ${verdict.strays} stray, ${verdict.wrong} wrong${verdict.examples.length ? `; e.g. ${verdict.examples.join('; ')}` : ''}`;
}
