import { type ChildProcess, spawn } from 'node:child_process';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/main/cli.ts', import.meta.url));

/** Quota far above any test corpus, for tests that check answers; pacing has tests of its own. */
export const UNLIMITED = [
  '--rpm',
  'gemini-3.5-flash-lite=100000,gemini-3.8-flash=100000',
  '--tpm',
  'gemini-3.5-flash-lite=100000000,gemini-3.8-flash=100000000',
];

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface LiveCli {
  readonly child: ChildProcess;
  readonly args: readonly string[];
  output: () => string;
}

/** CLI runs not yet ended: the file's last hook ends them (see endLeftoverRuns). */
const live = new Set<LiveCli>();
after(endLeftoverRuns);

/** Runs the real docpool CLI in a child process, exactly as a user would (under tsx). */
export function runCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  return startCli(args, options).result;
}

/** Starts the CLI and hands back the child too, so a test can signal it mid-run. */
export function startCli(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): { child: ChildProcess; result: Promise<CliResult> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: options.cwd ?? PROJECT_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const entry: LiveCli = { child, args, output: () => `stdout:\n${stdout.slice(-4000)}\nstderr:\n${stderr.slice(-4000)}` };
  live.add(entry);
  const result = new Promise<CliResult>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      live.delete(entry);
      resolve({ code: code ?? (signal ? -1 : null), stdout, stderr });
    });
  });
  return { child, result };
}

/**
 * A run still going when its file's tests are over belongs to a test that failed or timed out.
 * Left alone it would keep the file's process, and so the whole suite, waiting on it. It is asked
 * to stop (SIGTERM: its summary says what it was waiting for), killed 10 s later if it has not,
 * and what it printed goes to the test's output for whoever reads the failure.
 */
async function endLeftoverRuns(): Promise<void> {
  await Promise.all(
    [...live].map(async (entry) => {
      const ended = new Promise<void>((resolve) => entry.child.once('close', () => resolve()));
      entry.child.kill('SIGTERM');
      const kill = setTimeout(() => entry.child.kill('SIGKILL'), 10_000);
      await ended;
      clearTimeout(kill);
      console.error(`docpool ${entry.args.join(' ')} was still running when its tests ended; it was stopped. What it printed:\n${entry.output()}`);
    }),
  );
}
