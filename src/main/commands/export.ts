import { replaceFile } from '../output/replace-file.ts';
import { resolve } from 'node:path';
import { loadProfile } from '../profiles/profile.ts';
import { sinkFor } from '../output/open-sink.ts';
import type { Store } from '../state/store.ts';
import { chooseRun } from './existing-state.ts';

/**
 * `docpool export`: rebuilds a run's results file from LMDB alone, one line per file. Returns the
 * count. Written beside the target and renamed over it, like a run's results file: an existing
 * file is replaced whole or not at all, and a link at the working path is never followed.
 */
export async function exportRun(store: Store, out: string, runId: string | undefined, profileName: string): Promise<{ runId: string; records: number }> {
  const run = chooseRun(store, runId);
  const { final: openAt } = sinkFor(out, () => loadProfile(profileName));
  let records = 0;
  await replaceFile(resolve(out), async (temporary) => {
    const sink = openAt(temporary);
    try {
      for (const { record } of store.runFiles(run.id)) {
        await sink.write(record);
        records++;
      }
      await sink.close();
    } catch (error) {
      await sink.close().catch(() => {}); // the error being reported is the one that counts
      throw error;
    }
  });
  return { runId: run.id, records };
}
