import type { RunInfo, Store } from '../state/store.ts';
import { count } from '../progress/numbers.ts';

export interface ResumeState {
  readonly previous: RunInfo | undefined;
  readonly done: number;
  readonly failedRetryable: number;
  readonly failedPermanent: number;
}

/** What an earlier attempt of this run left, read from its per-file states. */
export function resumeState(store: Store, runId: string): ResumeState {
  let done = 0;
  let failedRetryable = 0;
  let failedPermanent = 0;
  for (const state of store.runFiles(runId)) {
    if (state.record.status !== 'failed')
      done++; // a skipped file is as finished as an answered one
    else if (state.record.error?.retryable) failedRetryable++;
    else failedPermanent++;
  }
  return { previous: store.getRun(runId), done, failedRetryable, failedPermanent };
}

/** "resuming run 3f2a…: 7,300 done, 12 failed (10 will be retried), ~2,688 to go". */
export function resumeBanner(runId: string, state: ResumeState, retryFailed: boolean): string | undefined {
  if (!state.previous) return undefined;
  const failed = state.failedRetryable + state.failedPermanent;
  const retried = state.failedRetryable + (retryFailed ? state.failedPermanent : 0);
  const toGo = state.previous.discovered === undefined ? undefined : Math.max(0, state.previous.discovered - state.done - failed + retried);
  const verb = state.previous.state === 'complete' ? 're-running completed run' : `resuming run (last attempt ${state.previous.state})`;
  const permanentNote =
    state.failedPermanent > 0 && !retryFailed ? `; ${count(state.failedPermanent)} failed for good are kept (--retry-failed to redo them)` : '';
  return `docpool: ${verb} ${runId}: ${count(state.done)} done, ${count(failed)} failed (${count(retried)} will be retried)${toGo === undefined ? '' : `, ~${count(toGo)} to go`}${permanentNote}`;
}
