/**
 * The dashboard under load: a 10,000-file Gemini run against the emulator in its own process,
 * drawn in a 120×40 pseudo-terminal and with plain progress lines, alternately, several times;
 * the main thread's event-loop delay (p99) of each, side by side.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { docpool, emulatorProcess, round, scratch, summaryOf, UNLIMITED } from './harness.ts';
import { hardLinkTree } from './scale.ts';

export interface DashboardLoadRow {
  readonly dashboard: 'on' | 'off';
  readonly files: number;
  readonly filesPerSecond: number;
  /** Event-loop p99 of each repetition, ms. */
  readonly eventLoopP99Ms: readonly number[];
  readonly medianP99Ms: number;
}

/** 1/50 of tier-1 latency: a 60 s quota window lasts 1.2 s. */
const TIME_SCALE = 0.02;
const TERMINAL = { columns: 120, rows: 40 };

export async function dashboardLoad(source: string, files: number, repetitions: number): Promise<DashboardLoadRow[]> {
  const work = scratch('dashboard-load');
  const emulator = await emulatorProcess(['--time-scale', String(TIME_SCALE), '--quota', 'none']);
  try {
    const tree = hardLinkTree(source, files, join(work, 'tree'));
    const results = { on: [] as Array<{ p99: number; filesPerSecond: number }>, off: [] as Array<{ p99: number; filesPerSecond: number }> };
    for (let repetition = 0; repetition < repetitions; repetition++) {
      for (const dashboard of ['on', 'off'] as const) {
        const db = join(work, `db-${dashboard}-${repetition}`);
        const args = [
          'run',
          tree,
          '-o',
          join(work, 'out.jsonl'),
          '--db',
          db,
          '--base-url',
          emulator.url,
          '--quota-window-ms',
          String(60_000 * TIME_SCALE),
          ...UNLIMITED,
        ];
        const run = await docpool(dashboard === 'on' ? args : [...args, '--no-tui'], undefined, { terminal: TERMINAL });
        const summary = summaryOf(run);
        if (summary.files !== files)
          throw new Error(`dashboard load: the run finished ${summary.files} of ${files} files (exit ${run.code})\n${run.stderr.slice(-2000)}`);
        results[dashboard].push({ p99: summary.eventLoopP99Ms, filesPerSecond: summary.filesPerSecond });
        rmSync(db, { recursive: true, force: true });
      }
    }
    return (['on', 'off'] as const).map((dashboard) => {
      const runs = results[dashboard];
      return {
        dashboard,
        files,
        filesPerSecond: round(median(runs.map((run) => run.filesPerSecond)), 0),
        eventLoopP99Ms: runs.map((run) => run.p99),
        medianP99Ms: median(runs.map((run) => run.p99)),
      };
    });
  } finally {
    emulator.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
