import { renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkOutputPath } from '../output/output-path.ts';
import { readReportData } from '../report/report-data.ts';
import { reportHtml } from '../report/report-html.ts';
import { evalRun } from './eval.ts';
import { chooseRun, openExistingStore } from './existing-state.ts';

export interface ReportOptions {
  readonly db: string;
  /** A run id or its start (default: the latest run). */
  readonly run?: string;
  readonly out: string;
  /** Labels (or `e-invoice`) to score the run against, for an accuracy section. */
  readonly truth?: string;
}

/** `docpool report`: one self-contained HTML file about a run, from the state folder alone. */
export async function writeReport(options: ReportOptions): Promise<{ runId: string; out: string; files: number }> {
  const out = resolve(options.out);
  checkOutputPath(out, options.out, 'a file name such as report.html');
  const store = openExistingStore(options.db);
  try {
    const data = readReportData(store, chooseRun(store, options.run));
    // Written whole, then renamed: a report being rewritten is never seen half-written.
    const accuracy = options.truth === undefined ? undefined : evalRun(store, data.run.id, options.truth);
    writeFileSync(`${out}.tmp`, reportHtml(data, new Date(), accuracy));
    renameSync(`${out}.tmp`, out);
    return { runId: data.run.id, out, files: data.files.total };
  } finally {
    await store.close();
  }
}
