/** The bad-input matrix: every row of DESIGN §10 as one or more cases, each with the outcome it promises. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generateCorpus } from '../../src/corpus/generate.ts';
import { scratch } from '../harness.ts';
import { DESIGN_ROWS, removeScratch, type ScenarioReport } from './checks.ts';
import { generatedDamage, hugeFile, manyEmptyFiles, oddKinds, realDamage, symlinkLoops, unreadablePaths, workerCrashAndHang } from './file-cases.ts';
import { badFlagsAndConfigs } from './flag-cases.ts';
import { hostileMix } from './hostile-mix.ts';
import type { CaseContext, CaseResult } from './matrix.ts';
import { budgets, changedMidRun, refusedKey, signals, unknownModel } from './run-cases.ts';

export interface BadInputReport extends ScenarioReport {
  readonly cases: readonly CaseResult[];
}

export async function badInputMatrix(emptyFiles: number): Promise<BadInputReport> {
  const started = performance.now();
  const work = scratch('bad-input');
  const sample = join(work, 'sample');
  await generateCorpus({ dir: sample, count: 16, seed: 5, maxPages: 2, damagedRate: 0 });
  let made = 0;
  const context: CaseContext = {
    sample,
    folder: (name) => {
      const path = join(work, `${String(made++).padStart(2, '0')}-${name}`);
      mkdirSync(path, { recursive: true });
      return path;
    },
  };
  const cases: Array<(context: CaseContext) => Promise<CaseResult>> = [
    generatedDamage,
    realDamage,
    hugeFile,
    (each) => manyEmptyFiles(each, emptyFiles),
    oddKinds,
    workerCrashAndHang,
    hostileMix,
    refusedKey,
    unknownModel,
    budgets,
    signals,
    symlinkLoops,
    unreadablePaths,
    changedMidRun,
    badFlagsAndConfigs,
  ];
  const results: CaseResult[] = [];
  try {
    for (const each of cases) {
      const result = await each(context).catch((error: unknown): CaseResult => ({
        row: DESIGN_ROWS.damaged,
        input: each.name,
        promised: '(the case itself)',
        got: `the case threw: ${String(error)}`,
        ok: false,
      }));
      process.stderr.write(`  ${result.ok ? 'kept' : 'BROKEN'}: ${result.input}\n`);
      results.push(result);
    }
  } finally {
    removeScratch(work);
  }
  const kept = results.filter((result) => result.ok).length;
  return {
    scenario: 'bad input matrix',
    rows: [...new Set(results.map((result) => result.row))],
    figures: { 'cases tried': results.length, 'cases kept': kept },
    checks: results.map((result) => ({ name: result.input, ok: result.ok, detail: result.got })),
    cases: results,
    seconds: (performance.now() - started) / 1000,
  };
}
