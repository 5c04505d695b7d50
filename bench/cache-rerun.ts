/**
 * Cache re-run: run a corpus once against the emulator, then again unchanged. Reports the re-run's
 * files/s, API calls (from the emulator's own count) and files re-read (from docpool's state).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../src/emulator/server.ts';

const CLI = fileURLToPath(new URL('../src/main/cli.ts', import.meta.url));
const UNLIMITED = ['--rpm', 'gemini-2.5-flash=1000000,gemini-2.5-pro=1000000', '--tpm', 'gemini-2.5-flash=1000000000,gemini-2.5-pro=1000000000'];

export interface CacheRerunResult {
  readonly files: number;
  readonly firstRunSeconds: number;
  readonly rerunSeconds: number;
  readonly rerunFilesPerSecond: number;
  readonly rerunApiCalls: number;
  readonly rerunFilesRead: number;
}

function docpool(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, seconds: (performance.now() - started) / 1000 }));
  });
}

export async function cacheRerun(corpus: string, files: number): Promise<CacheRerunResult> {
  const emulator = await startEmulator({ defaultLatency: { medianMs: 0, sigma: 0 }, latency: {} });
  const work = mkdtempSync(join(tmpdir(), 'docpool-bench-rerun-'));
  try {
    const args = ['run', corpus, '-o', join(work, 'out.jsonl'), '--db', join(work, 'db'), '--base-url', emulator.url, '--no-tui', ...UNLIMITED];
    const env = { GEMINI_API_KEY: 'bench', GOOGLE_API_KEY: '' };
    const first = await docpool(args, env);
    emulator.resetStats();
    const rerun = await docpool(args, env);
    const filesRead = Number(/read {5}(\d[\d,]*) files read/.exec(rerun.stderr)?.[1]?.replace(/,/g, '') ?? Number.NaN);
    const inRun = Number(/ in ([\d.]+) s \(/.exec(rerun.stderr)?.[1] ?? rerun.seconds);
    return {
      files,
      firstRunSeconds: Math.round(first.seconds * 10) / 10,
      rerunSeconds: Math.round(rerun.seconds * 10) / 10,
      // The pipeline's own clock (process start-up, tsx and pool spawn excluded).
      rerunFilesPerSecond: Math.round(files / inRun),
      rerunApiCalls: emulator.stats().requests.total,
      rerunFilesRead: filesRead,
    };
  } finally {
    await emulator.close();
    rmSync(work, { recursive: true, force: true });
  }
}
