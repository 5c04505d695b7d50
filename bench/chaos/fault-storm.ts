/**
 * Fault storm: every fault the emulator can throw, at once, over ≥2,000 files — random faults at
 * fixed rates plus waves of 503s and bursts of 429s injected while the run is going. Then a clean
 * re-run finishes whatever the storm left failed, and must not re-ask anything already answered.
 */
import { join } from 'node:path';
import { generateCorpus } from '../../src/corpus/generate.ts';
import { startEmulator } from '../../src/emulator/server.ts';
import { readManifest, readRecords } from '../../test/helpers/run-fixture.ts';
import { docpool, scratch, UNLIMITED } from '../harness.ts';
import { Checks, DESIGN_ROWS, removeScratch, crashSignIn, type ScenarioReport } from './checks.ts';
import { callsNeeded, describe, sound, verify } from './verify.ts';

const FAULT_RATES = { '429': 0.04, '500': 0.03, '503': 0.04, '504': 0.02, stall: 0.01, reset: 0.03, malformed: 0.03, max_tokens: 0.02, safety: 0.01 };
/** Attempts one stage call may make under run.ts's policy: 6 for 5xx/timeouts, 30 for 429s, 1 output retry. */
const POLICY_ATTEMPTS_PER_CALL = 6 + 30 + 1;
const WALL_CLOCK_BOUND_MS = 300_000;

export async function faultStorm(files: number): Promise<ScenarioReport> {
  const started = performance.now();
  const checks = new Checks('fault storm');
  const work = scratch('storm');
  const corpus = join(work, 'corpus');
  await generateCorpus({ dir: corpus, count: files, seed: 9, maxPages: 4, damagedRate: 0.03 });
  const manifest = readManifest(corpus);
  const needed = callsNeeded(manifest);
  const emulator = await startEmulator({ timeScale: 0.02, faultRates: FAULT_RATES, seed: 9 });
  const out = join(work, 'out.jsonl');
  const args = [
    'run',
    corpus,
    '-o',
    out,
    '--db',
    join(work, 'db'),
    '--base-url',
    emulator.url,
    '--no-tui',
    '--request-timeout-ms',
    '2000',
    '--retry-base-ms',
    '100',
    ...UNLIMITED,
  ];
  const env = { GEMINI_API_KEY: 'chaos-storm', GOOGLE_API_KEY: '' };
  let waves = 0;
  // Alternate overloads and rate-limit bursts while the run is going. An overload lasts a time (25
  // emulated seconds, 0.5 s here) as a real one does: every model answers 503 until it ends.
  const storm = setInterval(() => {
    if (waves % 2 === 0) emulator.configure({ outages: [{ seconds: 25 }], scriptedFaults: [] });
    else emulator.configure({ scriptedFaults: [{ fault: '429', count: 40 }] });
    waves++;
  }, 1500);
  try {
    const run = await docpool(args, env, { killAfterMs: WALL_CLOCK_BOUND_MS });
    clearInterval(storm);
    const stats = emulator.stats();
    const injected = Object.values(stats.faults).reduce((sum, count) => sum + count, 0);
    const requests = stats.requests.byMethod.generateContent ?? 0;
    checks.that(
      'the run ends by itself within the wall-clock bound',
      run.signal === null,
      `${Math.round(run.wallSeconds)} s, bound ${WALL_CLOCK_BOUND_MS / 1000} s`,
    );
    checks.that('exit code 0 or 1 (some files failed), never a crash', run.code === 0 || run.code === 1, `exit ${run.code}`);
    checks.that('no unhandled rejection, stack trace or warning on stderr', !crashSignIn(run.stderr), crashSignIn(run.stderr) ?? '');
    const verdict = verify(readRecords(out), corpus, manifest);
    checks.that('every file has exactly one record; every answered record is correct', sound(verdict), describe(verdict));
    checks.that('retries bounded by the policy', requests <= needed * POLICY_ATTEMPTS_PER_CALL, `${requests} requests for ${needed} calls`);
    checks.that('retries proportionate: requests ÷ calls ≤ 1.6', requests / needed <= 1.6, `${(requests / needed).toFixed(2)}`);

    // Clear skies: a re-run (with --retry-failed for the permanent model failures) finishes the rest.
    emulator.configure({ faultRates: {}, scriptedFaults: [], outages: [] });
    emulator.resetStats();
    const rerun = await docpool([...args, '--retry-failed'], env, { killAfterMs: WALL_CLOCK_BOUND_MS });
    const after = verify(readRecords(out), corpus, manifest);
    const rerunRequests = emulator.stats().requests.byMethod.generateContent ?? 0;
    checks.that(
      'after a clean re-run every intact file is answered correctly',
      sound(after) && after.failedIntact === 0 && rerun.code === 1,
      `${describe(after)}, exit ${rerun.code}`,
    );
    checks.that(
      'the re-run asks only about files the storm left failed',
      rerunRequests <= 2 * verdict.failedIntact,
      `${rerunRequests} requests for ${verdict.failedIntact} failed files`,
    );
    return {
      scenario: 'fault storm',
      rows: [DESIGN_ROWS.transient],
      figures: {
        files,
        'faults injected': injected,
        'by kind': Object.entries(stats.faults)
          .map(([kind, count]) => `${kind} ${count}`)
          .join(', '),
        'waves and bursts': waves,
        'requests ÷ calls needed': Number((requests / needed).toFixed(2)),
        'answered in the storm': verdict.answered,
        'left failed by the storm': verdict.failedIntact,
        'wrong answers': verdict.wrong + after.wrong,
        'files lost': verdict.missing + after.missing,
        'storm wall s': Math.round(run.wallSeconds),
      },
      checks: checks.results,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    clearInterval(storm);
    await emulator.close();
    removeScratch(work);
  }
}
