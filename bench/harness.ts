/** What every bench scenario shares: running the real CLI and reading its summary. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../src/main/cli.ts', import.meta.url));

export const UNLIMITED = ['--rpm', 'gemini-2.5-flash=1000000,gemini-2.5-pro=1000000', '--tpm', 'gemini-2.5-flash=1000000000,gemini-2.5-pro=1000000000'];
export const KEY_ENV = { GEMINI_API_KEY: 'bench', GOOGLE_API_KEY: '' };

export interface CliRun {
  readonly code: number | null;
  readonly stderr: string;
  readonly wallSeconds: number;
}

export function scratch(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `docpool-bench-${prefix}-`));
}

/** Runs `docpool …` as a user would; `killAfterMs` sends SIGKILL mid-run. */
export function docpool(args: readonly string[], env: NodeJS.ProcessEnv = KEY_ENV, killAfterMs?: number): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, wallSeconds: (performance.now() - started) / 1000 });
    });
  });
}

/** The figures the run summary prints. */
export function summaryOf(run: CliRun): { files: number; seconds: number; filesPerSecond: number; filesRead: number; eventLoopP99Ms: number; peakRssMb: number } {
  const number = (pattern: RegExp) => Number((pattern.exec(run.stderr)?.[1] ?? 'NaN').replace(/,/g, ''));
  return {
    files: number(/docpool: ([\d,]+) files in/),
    seconds: number(/ files in ([\d.]+) s/),
    filesPerSecond: number(/\(([\d.]+) files\/s\)/),
    filesRead: number(/read {5}([\d,]+) files read/),
    eventLoopP99Ms: number(/event loop p99 ([\d.]+) ms/),
    peakRssMb: number(/peak RSS (\d+) MB/),
  };
}

export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
