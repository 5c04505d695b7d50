/** What every bad-input case shares: a row of DESIGN §10, what it promises, and what happened. */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { FileRecord } from '../../src/main/state/record.ts';
import { readRecords } from '../../test/helpers/run-fixture.ts';
import { type CliOptions, type CliRun, docpool } from '../harness.ts';
import { crashSignIn, type DesignRow } from './checks.ts';

export interface CaseResult {
  /** The DESIGN §10 row it exercises. */
  readonly row: DesignRow;
  readonly input: string;
  readonly promised: string;
  readonly got: string;
  readonly ok: boolean;
}

export interface CaseContext {
  /** A folder of intact generated PDFs to copy good files from. */
  readonly sample: string;
  /** A new empty folder for this case. */
  folder(name: string): string;
}

export const OFFLINE = ['--provider', 'offline', '--no-tui'];
export const NO_KEY = { GEMINI_API_KEY: '', GOOGLE_API_KEY: '' };

/** Copies `count` intact sample PDFs into `dir` (each a distinct document). */
export function goodFiles(context: CaseContext, dir: string, count: number): string[] {
  mkdirSync(dir, { recursive: true });
  return samplePdfs(context.sample)
    .slice(0, count)
    .map((source, index) => {
      const target = join(dir, `good-${index}.pdf`);
      copyFileSync(source, target);
      return target;
    });
}

export function samplePdfs(sample: string): string[] {
  return readdirSync(sample, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.pdf'))
    .sort()
    .map((name) => join(sample, name));
}

export interface Outcome {
  readonly run: CliRun;
  readonly records: readonly FileRecord[];
  /** The code of the record for a file name ('done' when answered), or a list when several share a name. */
  codeOf(name: string): string | undefined;
  /** Names with more than one record. */
  readonly duplicated: readonly string[];
}

/** Runs docpool over `inputs`, writing results under `work`, and reads the records back. */
export async function runOver(
  inputs: readonly string[],
  work: string,
  extra: readonly string[] = OFFLINE,
  env: NodeJS.ProcessEnv = NO_KEY,
  options: CliOptions = {},
): Promise<Outcome> {
  const out = join(work, 'out.jsonl');
  const run = await docpool(['run', ...inputs, '-o', out, '--db', join(work, 'db'), ...extra], env, { killAfterMs: 240_000, ...options });
  const records = existsSync(out) && readFileSync(out, 'utf8').trim() ? readRecords(out) : [];
  const byPath = new Map<string, FileRecord[]>();
  for (const record of records) byPath.set(record.path, [...(byPath.get(record.path) ?? []), record]);
  const codeOf = (name: string) => {
    const found = records.find((record) => basename(record.path) === name || record.path.endsWith(`/${name}`));
    return found ? (found.status === 'done' ? 'done' : found.error?.code) : undefined;
  };
  return { run, records, codeOf, duplicated: [...byPath].filter(([, list]) => list.length > 1).map(([path]) => path) };
}

/** A run that ended by itself, with the exit code expected and nothing on stderr that looks like a crash. */
export function endedCleanly(run: CliRun, code: number): string | undefined {
  if (run.signal) return `killed by ${run.signal} at the wall-clock bound`;
  if (run.code !== code) return `exit ${run.code}, expected ${code}: ${run.stderr.trim().split('\n').slice(-3).join(' / ')}`;
  const crash = crashSignIn(run.stderr);
  return crash ? `stderr shows "${crash}"` : undefined;
}

/** Compares record codes per file name with what the row promises; returns the mismatches. */
export function codeMismatches(outcome: Outcome, expected: Readonly<Record<string, string>>): string[] {
  return Object.entries(expected)
    .filter(([name, code]) => outcome.codeOf(name) !== code)
    .map(([name, code]) => `${name}: ${outcome.codeOf(name) ?? 'no record'}, expected ${code}`);
}

/** Builds a case result from a list of problems: none means the promise was kept. */
export function verdictOf(row: DesignRow, input: string, promised: string, got: string, problems: readonly (string | undefined)[]): CaseResult {
  const real = problems.filter((problem): problem is string => Boolean(problem));
  return { row, input, promised, got: real.length ? `${got}; ${real.join('; ')}` : got, ok: real.length === 0 };
}

export function countCodes(records: readonly FileRecord[]): string {
  const counts = new Map<string, number>();
  for (const record of records) {
    const code = record.status === 'done' ? 'done' : (record.error?.code ?? '?');
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  return [...counts].map(([code, count]) => `${code} ${count.toLocaleString('en-US')}`).join(', ');
}
