import { loadProfile } from '../profiles/profile.ts';
import { sinkFor } from '../output/open-sink.ts';
import type { Store } from '../state/store.ts';
import { chooseRun } from './existing-state.ts';

/** `docpool export`: rebuilds a run's results file from LMDB alone, one line per file. Returns the count. */
export async function exportRun(store: Store, out: string, runId: string | undefined, profileName: string): Promise<{ runId: string; records: number }> {
  const run = chooseRun(store, runId);
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
