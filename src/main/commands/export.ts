import { UsageError } from '../errors.ts';
import { loadProfile } from '../profiles/profile.ts';
import { sinkFor } from '../output/open-sink.ts';
import type { Store } from '../state/store.ts';

/** `docpool export`: rebuilds a run's results file from LMDB alone, one line per file. Returns the count. */
export async function exportRun(store: Store, out: string, runId: string | undefined, profileName: string): Promise<{ runId: string; records: number }> {
  const runs = store.runs();
  const run = runId ? runs.find((candidate) => candidate.id === runId || candidate.id.startsWith(runId)) : runs[0];
  if (!run) throw new UsageError(runId ? `--run: no run "${runId}" in the state folder (see docpool status)` : 'the state folder holds no run yet; run `docpool run` first');
  const sink = sinkFor(out, () => loadProfile(profileName))();
  let records = 0;
  try {
    for (const { record } of store.runFiles(run.id)) {
      await sink.write(record);
      records++;
    }
  } finally {
    await sink.close();
  }
  return { runId: run.id, records };
}
