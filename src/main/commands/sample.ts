import { writeFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { csvCell } from '../output/csv-sink.ts';
import { checkOutputPath } from '../output/output-path.ts';
import { replaceFile } from '../output/replace-file.ts';
import type { Profile } from '../profiles/profile.ts';
import type { FileRecord } from '../state/record.ts';
import type { Store } from '../state/store.ts';
import { chooseRun } from './existing-state.ts';

/** A record's stratum: its class, where its answer came from, and its size in pages and bytes. */
function stratumOf(record: FileRecord): string {
  const pages = record.pages ?? 0;
  const bytes = record.bytes ?? 0;
  return [
    record.class,
    record.source,
    pages <= 1 ? '1 page' : pages <= 5 ? '2-5 pages' : '6+ pages',
    bytes < 100_000 ? '<100 KB' : bytes < 1_000_000 ? '<1 MB' : '1 MB+',
  ].join(' | ');
}

/**
 * `docpool sample N -o labels.csv`: a stratified sample of a run's answered files (by class,
 * source, pages and size; each stratum its share of N, every stratum at least one while N allows),
 * written as a labelling template with the current answers filled in, so a person corrects rather
 * than types. Within a stratum the files are taken in content-hash order: the same state gives the
 * same sample. Two passes over the state folder; memory holds N rows, never the run.
 */
export async function writeSample(
  store: Store,
  runId: string | undefined,
  size: number,
  out: string,
  profile: Profile,
): Promise<{ runId: string; rows: number }> {
  if (extname(out).toLowerCase() !== '.csv') throw new UsageError(`--out: the labelling template is a .csv file, got "${out}"`);
  const target = resolve(out);
  checkOutputPath(target, out, 'a file name ending in .csv');
  const run = chooseRun(store, runId);
  const answered = function* () {
    for (const { record } of store.runFiles(run.id)) if (record.status === 'done' && record.sha256) yield record;
  };
  const sizes = new Map<string, number>();
  for (const record of answered()) {
    const stratum = stratumOf(record);
    sizes.set(stratum, (sizes.get(stratum) ?? 0) + 1);
  }
  const quota = allocate(sizes, size);
  const chosen = new Map<string, FileRecord[]>();
  for (const record of answered()) {
    const stratum = stratumOf(record);
    const kept = chosen.get(stratum) ?? [];
    kept.push(record);
    kept.sort((a, b) => a.sha256!.localeCompare(b.sha256!));
    if (kept.length > (quota.get(stratum) ?? 0)) kept.pop();
    chosen.set(stratum, kept);
  }
  const fieldNames = [...new Set(Object.values(profile.extract).flatMap((entry) => Object.keys(entry.schema.properties ?? {})))];
  const header = ['path', 'part', 'sha256', 'class', 'pages', 'source', 'stratum', ...fieldNames.map((name) => `field_${name}`)];
  const rows = [...chosen.values()]
    .flat()
    .map((record) =>
      [
        record.path,
        record.part?.name ?? '',
        record.sha256,
        record.class,
        record.pages,
        record.source,
        stratumOf(record),
        ...fieldNames.map((name) => record.fields?.[name]),
      ]
        .map(csvCell)
        .join(','),
    );
  await replaceFile(target, (temporary) => writeFileSync(temporary, `${[header.join(','), ...rows].join('\r\n')}\r\n`, { flag: 'wx' }));
  return { runId: run.id, rows: rows.length };
}

/** Each stratum's share of `size` by largest remainder; with room for all, every stratum gets at least one. */
function allocate(sizes: Map<string, number>, size: number): Map<string, number> {
  const total = [...sizes.values()].reduce((sum, n) => sum + n, 0);
  const take = Math.min(size, total);
  const floor = take >= sizes.size ? 1 : 0;
  const left = take - floor * sizes.size;
  const shares = [...sizes].map(([stratum, n]) => ({ stratum, n, exact: floor + (left * n) / total }));
  const quota = new Map(shares.map((share) => [share.stratum, Math.min(share.n, Math.floor(share.exact))]));
  let remaining = take - [...quota.values()].reduce((sum, n) => sum + n, 0);
  for (const share of shares.sort((a, b) => (b.exact % 1) - (a.exact % 1) || a.stratum.localeCompare(b.stratum))) {
    if (remaining <= 0) break;
    if (quota.get(share.stratum)! < share.n) {
      quota.set(share.stratum, quota.get(share.stratum)! + 1);
      remaining--;
    }
  }
  return quota;
}
