/** What every bench scenario shares: running the real CLI and reading its summary. */
import { type ChildProcess, spawn } from 'node:child_process';
import type { EmulatorStats } from '../src/emulator/stats.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { startEmulator } from '../src/emulator/server.ts';
import { type ManifestEntry, parseManifest } from '../src/corpus/generate.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../src/main/cli.ts', import.meta.url));
/** tsx by its full URL, so the CLI starts from any working folder. */
const TSX = import.meta.resolve('tsx');

export const UNLIMITED = [
  '--rpm',
  'gemini-3.5-flash-lite=1000000,gemini-3.8-flash=1000000',
  '--tpm',
  'gemini-3.5-flash-lite=1000000000,gemini-3.8-flash=1000000000',
];
export const KEY_ENV = { GEMINI_API_KEY: 'bench', GOOGLE_API_KEY: '' };

export function scratch(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `docpool-bench-${prefix}-`));
}

export interface CliRun {
  readonly code: number | null;
  /** The signal that ended the process, when one did (a kill, or the wall-clock bound). */
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly wallSeconds: number;
  readonly pid: number;
}

export interface CliOptions {
  /** SIGKILL after this many ms (a kill test, or a wall-clock bound on a run that must end). */
  readonly killAfterMs?: number;
  /** Run as another user (the unreadable-path case when the bench runs as root). */
  readonly uid?: number;
  readonly gid?: number;
  readonly cwd?: string;
  /** Called once the child is spawned, e.g. to sample its RSS or signal it. */
  readonly onSpawn?: (child: ChildProcess) => void;
  /**
   * Run inside a pseudo-terminal of this size (util-linux `script`), so the dashboard is drawn as a
   * user would see it; everything the terminal shows lands in `stderr` (and `stdout`).
   */
  readonly terminal?: { readonly columns: number; readonly rows: number };
}

/** Runs `docpool …` as a user would. */
export function docpool(args: readonly string[], env: NodeJS.ProcessEnv = KEY_ENV, options: CliOptions = {}): Promise<CliRun> {
  const { killAfterMs, uid, gid, cwd, onSpawn, terminal } = options;
  const started = performance.now();
  const command = [process.execPath, '--import', TSX, CLI, ...args];
  const [file, ...argv] = terminal
    ? ['script', '-qec', `stty cols ${terminal.columns} rows ${terminal.rows}; exec ${command.map(shellQuote).join(' ')}`, '/dev/null']
    : command;
  return new Promise((resolve, reject) => {
    const child = spawn(file!, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], uid, gid, cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    onSpawn?.(child);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (terminal) stderr += stdout;
      resolve({ code, signal, stdout, stderr, wallSeconds: (performance.now() - started) / 1000, pid: child.pid ?? 0 });
    });
  });
}

/** The figures the run summary prints. */
export function summaryOf(run: CliRun): {
  files: number;
  seconds: number;
  filesPerSecond: number;
  filesRead: number;
  eventLoopP99Ms: number;
  peakRssMb: number;
} {
  const number = (pattern: RegExp) => Number((pattern.exec(run.stderr)?.[1] ?? 'NaN').replace(/,/g, ''));
  return {
    // `1,000 files in 12.3 s (81.3 files/s)`, or `140 documents in 120 files in …` when mails, archives or bundles held several.
    files: number(/docpool: ([\d,]+) (?:files|documents) in/),
    seconds: number(/ files in ([\d.]+) s/),
    filesPerSecond: number(/\(([\d.]+) (?:files|documents)\/s\)/),
    filesRead: number(/read {5}([\d,]+) files read/),
    // The summary's health line (a dashboard frame shows "event loop p99 … ms ·" too).
    eventLoopP99Ms: number(/event loop p99 ([\d.]+) ms, peak RSS/),
    peakRssMb: number(/peak RSS (\d+) MB/),
  };
}

/** A run that did its work (exit 0, or 1 for files that failed): anything else stops the bench, never a row of zeros. */
export function finished(run: CliRun): CliRun {
  if (run.code === 0 || run.code === 1) return run;
  throw new Error(`docpool exited ${run.code ?? run.signal}: ${run.stderr.trim().split('\n').slice(-3).join(' / ')}`);
}

export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

const shellQuote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/** `docpool emulator` in a process of its own, so its work is not the measured process's. */
export async function emulatorProcess(args: readonly string[]): Promise<{ url: string; stats: () => Promise<EmulatorStats>; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', TSX, CLI, 'emulator', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = /^(http:\/\/\S+)\n/m.exec(output);
      if (line) resolve(line[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the emulator exited (${code}) before listening`)));
  });
  return { url, stats: async () => (await (await fetch(`${url}/_emulator/stats`)).json()) as EmulatorStats, stop: () => child.kill('SIGTERM') };
}

/** A generated document and the record docpool wrote for it (found by its file and part), if any. */
export interface Found {
  readonly entry: ManifestEntry;
  readonly record: { readonly class: string; readonly fields: unknown } | undefined;
}

/**
 * Folders compared through one emulator (answers taking ~0.2 s, quotas out of the way): each
 * generated by `generate` into a scratch folder of its own, run on a fresh state folder, measured
 * by `measure` (each document with its record, the run, the requests it made), then removed.
 */
export async function compareGenerated<Folder extends string, Row>(
  folders: readonly Folder[],
  generate: (folder: Folder, dir: string) => Promise<unknown>,
  measure: (folder: Folder, outcome: { readonly found: Found[]; readonly run: CliRun; readonly requests: number }) => Row,
): Promise<Row[]> {
  const emulator = await startEmulator({ defaultLatency: { medianMs: 200, sigma: 0.3 }, latency: {} });
  const rows: Row[] = [];
  try {
    for (const folder of folders) {
      const work = scratch(`compare-${folder.replace(/\W+/g, '-')}`);
      try {
        const corpus = join(work, 'corpus');
        await generate(folder, corpus);
        const before = emulator.stats().requests.total;
        const { found, run } = await runGenerated(corpus, work, emulator.url);
        rows.push(measure(folder, { found, run, requests: emulator.stats().requests.total - before }));
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }
    return rows;
  } finally {
    await emulator.close();
  }
}

/** A generated folder through `docpool run` on a fresh state folder: each document with its record, and docpool's summary. */
async function runGenerated(corpus: string, work: string, baseUrl: string): Promise<{ found: Found[]; run: CliRun }> {
  const manifest = parseManifest(readFileSync(join(corpus, 'manifest.jsonl'), 'utf8'));
  const out = join(work, 'out.jsonl');
  const run = finished(await docpool(['run', corpus, '-o', out, '--db', join(work, 'db'), '--base-url', baseUrl, '--no-tui', ...UNLIMITED], KEY_ENV));
  const records = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { path: string; part?: { name: string }; class: string; fields: unknown });
  const byDocument = new Map(records.map((record) => [`${record.path.slice(corpus.length + 1)}#${record.part?.name ?? ''}`, record]));
  return { found: manifest.map((entry) => ({ entry, record: byDocument.get(`${entry.file}#${entry.part ?? ''}`) })), run };
}

/** Whether a document's record has its true class and (for an extract class) its true fields. */
export function answeredRight({ entry, record }: Found): boolean {
  return record?.class === entry.class && (record.fields === null || JSON.stringify(record.fields) === JSON.stringify(entry.fields));
}
