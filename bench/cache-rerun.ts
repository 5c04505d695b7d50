/**
 * Cache re-run: run a corpus once against the emulator, then again unchanged. Reports the re-run's
 * files/s, API calls (from the emulator's own count) and files re-read (from docpool's state).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startEmulator } from '../src/emulator/server.ts';
import { docpool, KEY_ENV, scratch, summaryOf, UNLIMITED } from './harness.ts';

export interface CacheRerunResult {
  readonly files: number;
  readonly firstRunSeconds: number;
  readonly rerunSeconds: number;
  readonly rerunFilesPerSecond: number;
  readonly rerunApiCalls: number;
  readonly rerunFilesRead: number;
}

export async function cacheRerun(corpus: string, files: number): Promise<CacheRerunResult> {
  const emulator = await startEmulator({ defaultLatency: { medianMs: 0, sigma: 0 }, latency: {} });
  const work = scratch('rerun');
  try {
    const args = ['run', corpus, '-o', join(work, 'out.jsonl'), '--db', join(work, 'db'), '--base-url', emulator.url, '--no-tui', ...UNLIMITED];
    const first = await docpool(args, KEY_ENV);
    emulator.resetStats();
    const rerun = await docpool(args, KEY_ENV);
    const summary = summaryOf(rerun);
    return {
      files,
      firstRunSeconds: Math.round(first.wallSeconds * 10) / 10,
      rerunSeconds: Math.round(rerun.wallSeconds * 10) / 10,
      // The pipeline's own clock (process start-up, tsx and pool spawn excluded).
      rerunFilesPerSecond: Math.round(files / summary.seconds),
      rerunApiCalls: emulator.stats().requests.total,
      rerunFilesRead: summary.filesRead,
    };
  } finally {
    await emulator.close();
    rmSync(work, { recursive: true, force: true });
  }
}
