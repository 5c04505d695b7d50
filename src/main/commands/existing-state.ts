import { resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { type RunInfo, Store } from '../state/store.ts';

/** Opens an existing state folder read-only; `status`, `export` and `report` never create or write one. */
export function openExistingStore(db: string): Store {
  return Store.openReadOnly(resolve(db));
}

/** The run a command reads: the one whose id starts with `--run`, or the most recently updated. */
export function chooseRun(store: Store, runId: string | undefined): RunInfo {
  const runs = store.runs();
  if (runs.length === 0) throw new UsageError('the state folder holds no run yet; run `docpool run` first');
  if (runId === undefined) return runs[0]!;
  const matches = runs.filter((run) => run.id.startsWith(runId));
  if (matches.length === 1) return matches[0]!;
  const known = runs.map((run) => run.id).join(', ');
  throw new UsageError(
    matches.length === 0
      ? `--run ${runId}: no such run in the state folder (runs: ${known})`
      : `--run ${runId}: more than one run starts so; give more of its id (runs: ${known})`,
  );
}
