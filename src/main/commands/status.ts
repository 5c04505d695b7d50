import { printable } from '../progress/printable.ts';
import { resolve } from 'node:path';
import { type BatchJobRecord, LIVE_BATCH_STATES } from '../state/batch-job.ts';
import type { RunInfo, Store } from '../state/store.ts';
import { STORE_LAYOUT } from '../state/store.ts';
import { FailureTally } from '../progress/failure-tally.ts';
import { count } from '../progress/numbers.ts';

export interface RunStatus {
  readonly id: string;
  readonly state: RunInfo['state'];
  readonly inputs: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly discovered: number | null;
  readonly done: number;
  readonly failed: number;
  /** Matched files docpool does not read (not failures). */
  readonly skipped: number;
  readonly failuresByCode: Readonly<Record<string, { readonly count: number; readonly retryable: boolean; readonly examples: readonly string[] }>>;
  readonly byClass: Readonly<Record<string, number>>;
  readonly costUsd: number;
  readonly filesRead: number;
  readonly statHits: number;
}

export interface StateStatus {
  readonly folder: string;
  readonly layout: number;
  readonly cachedResults: number;
  readonly knownFiles: number;
  readonly runs: readonly RunStatus[];
  /** Batch jobs kept in the folder: how many in each state, and the ones still to collect. */
  readonly batchJobs: {
    readonly byState: Readonly<Record<string, number>>;
    readonly live: ReadonlyArray<{
      readonly name: string;
      readonly state: string;
      readonly model: string;
      readonly requests: number;
      readonly createdAt: string;
    }>;
  };
}

const EXAMPLES = 3;

/** Everything `docpool status` reports, read from LMDB alone. */
export function readStateStatus(store: Store, folder: string): StateStatus {
  return {
    folder: resolve(folder),
    layout: STORE_LAYOUT,
    cachedResults: store.resultCount(),
    knownFiles: store.fileCount(),
    runs: store.runs().map((run) => runStatus(store, run)),
    batchJobs: batchJobsStatus(store.batchJobs()),
  };
}

function batchJobsStatus(jobs: readonly BatchJobRecord[]): StateStatus['batchJobs'] {
  const byState: Record<string, number> = {};
  for (const job of jobs) byState[job.state] = (byState[job.state] ?? 0) + 1;
  const live = jobs
    .filter((job) => LIVE_BATCH_STATES.has(job.state))
    .map((job) => ({
      name: job.name ?? job.displayName,
      state: job.state,
      model: job.model,
      requests: job.keys.length,
      createdAt: new Date(job.createdAt).toISOString(),
    }));
  return { byState, live };
}

function runStatus(store: Store, run: RunInfo): RunStatus {
  let done = 0;
  let failed = 0;
  let skipped = 0;
  let costUsd = 0;
  const failures = new FailureTally(EXAMPLES);
  const byClass: Record<string, number> = {};
  for (const { record } of store.runFiles(run.id)) {
    costUsd += record.usage.costUsd;
    if (record.status === 'done') {
      done++;
      if (record.class) byClass[record.class] = (byClass[record.class] ?? 0) + 1;
      continue;
    }
    if (record.status === 'skipped') {
      skipped++;
      continue;
    }
    failed++;
    failures.add(record.error?.code ?? 'UNKNOWN', record.path, record.error?.message ?? '', record.error?.retryable);
  }
  return {
    id: run.id,
    state: run.state,
    inputs: run.inputs,
    createdAt: new Date(run.createdAt).toISOString(),
    updatedAt: new Date(run.updatedAt).toISOString(),
    discovered: run.discovered ?? null,
    done,
    failed,
    skipped,
    failuresByCode: Object.fromEntries(
      failures
        .entries()
        .map(([code, entry]) => [
          code,
          { count: entry.count, retryable: entry.retryable, examples: entry.examples.map((example) => `${example.path}: ${example.message}`) },
        ]),
    ),
    byClass,
    costUsd,
    filesRead: run.filesRead,
    statHits: run.statHits,
  };
}

export function formatStatus(status: StateStatus): string {
  const lines = [
    `state folder ${status.folder} (layout ${status.layout}): ${count(status.cachedResults)} cached answers, ${count(status.knownFiles)} known files`,
  ];
  if (status.runs.length === 0) lines.push('no runs yet');
  const states = Object.entries(status.batchJobs.byState);
  if (states.length > 0) {
    lines.push(`batch jobs  ${states.map(([state, jobs]) => `${count(jobs)} ${state}`).join(', ')}`);
    for (const job of status.batchJobs.live)
      lines.push(`  ${job.name}  ${job.state}  ${job.model}  ${count(job.requests)} requests  created ${job.createdAt.replace('T', ' ').slice(0, 19)} UTC`);
  }
  for (const run of status.runs) {
    const toGo = run.discovered === null ? '' : `, ${count(Math.max(0, run.discovered - run.done - run.failed - run.skipped))} to go`;
    lines.push(
      '',
      `run ${run.id}  ${run.state}  last ${run.updatedAt.replace('T', ' ').slice(0, 19)} UTC  inputs: ${run.inputs.join(' ')}`,
      `  ${count(run.done)} done, ${count(run.failed)} failed${run.skipped > 0 ? `, ${count(run.skipped)} skipped` : ''}${toGo}; $${run.costUsd.toFixed(4)} spent; last attempt read ${count(run.filesRead)} files, skipped ${count(run.statHits)} unchanged`,
    );
    const classes = Object.entries(run.byClass).sort((a, b) => b[1] - a[1]);
    if (classes.length > 0) lines.push(`  classes: ${classes.map(([label, files]) => `${label} ${count(files)}`).join(', ')}`);
    for (const [code, entry] of Object.entries(run.failuresByCode).sort((a, b) => b[1].count - a[1].count)) {
      lines.push(`  ${code} × ${count(entry.count)}${entry.retryable ? ' (retried next run)' : ''}`, ...entry.examples.map((example) => `    ${example}`));
    }
  }
  // Paths, inputs and messages come from file names and servers: nothing reaches the terminal raw.
  return lines.map(printable).join('\n');
}
