/**
 * Kill loop: SIGKILL a real `docpool run` at random moments again and again over one corpus,
 * re-running after each, as a power cut would. After every kill the state folder must open and
 * read; at the end the output must be complete and correct, and the API calls repeated must stay
 * within the files that were in flight when each kill landed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { generateCorpus } from '../../src/corpus/generate.ts';
import { Rng } from '../../src/corpus/rng.ts';
import { startEmulator } from '../../src/emulator/server.ts';
import type { StateStatus } from '../../src/main/commands/status.ts';
import { readManifest, readRecords } from '../../test/helpers/run-fixture.ts';
import { docpool, scratch, UNLIMITED } from '../harness.ts';
import { Checks, DESIGN_ROWS, removeScratch, crashSignIn, type ScenarioReport } from './checks.ts';
import { callsNeeded, describe, sound, verify } from './verify.ts';

const WINDOW = 24;

export async function killLoop(kills: number): Promise<ScenarioReport> {
  const started = performance.now();
  const checks = new Checks('kill loop');
  const work = scratch('kills');
  const corpus = join(work, 'corpus');
  await generateCorpus({ dir: corpus, count: 1600, seed: 21, maxPages: 3, damagedRate: 0.03 });
  const manifest = readManifest(corpus);
  // ~150 ms classifications and ~300 ms extractions: a run takes long enough for kills to land mid-work.
  const emulator = await startEmulator({
    timeScale: 0.05,
    latency: { 'gemini-3.5-flash-lite': { medianMs: 3000, sigma: 0.3 }, 'gemini-3.8-flash': { medianMs: 6000, sigma: 0.3 } },
  });
  const db = join(work, 'db');
  const out = join(work, 'out.jsonl');
  const args = ['run', corpus, '-o', out, '--db', db, '--base-url', emulator.url, '--window', String(WINDOW), '--no-tui', ...UNLIMITED];
  const rng = new Rng(21);
  let soundAfterKill = 0;
  let finishedBeforeKill = 0;
  const progress: number[] = [];
  try {
    for (let kill = 0; kill < kills; kill++) {
      // From inside start-up to well into the run: every phase gets hit.
      const run = await docpool(args, undefined, { killAfterMs: 300 + rng.next() * 4200 });
      if (run.signal === null) finishedBeforeKill++;
      // Killed before the state folder was made: nothing to open, nothing to corrupt.
      if (!existsSync(db)) {
        soundAfterKill++;
        progress.push(0);
        continue;
      }
      const status = await docpool(['status', '--db', db, '--json']);
      let state: StateStatus | undefined;
      try {
        state = JSON.parse(status.stdout) as StateStatus;
      } catch {
        state = undefined;
      }
      const opened = status.code === 0 && state !== undefined && !crashSignIn(status.stderr);
      if (opened) soundAfterKill++;
      else checks.that(`the state folder opens after kill ${kill + 1}`, false, status.stderr.trim().slice(0, 300));
      progress.push(state?.runs[0] ? state.runs[0].done + state.runs[0].failed : 0);
    }
    checks.that(`the state folder opens and reads after each of ${kills} kills`, soundAfterKill === kills, `${soundAfterKill}/${kills}`);
    const final = await docpool(args);
    checks.that(
      'the run after the last kill finishes (exit 1: the corpus has damaged files)',
      final.code === 1 && !crashSignIn(final.stderr),
      `exit ${final.code}: ${final.stderr.slice(-300)}`,
    );
    const verdict = verify(readRecords(out), corpus, manifest);
    checks.that('the output is complete and correct: one record per file', sound(verdict) && verdict.failedIntact === 0, describe(verdict));
    const requests = emulator.stats().requests.byMethod.generateContent ?? 0;
    const repeated = requests - callsNeeded(manifest);
    const interrupted = kills - finishedBeforeKill;
    // Each file in flight at a kill costs at most its two calls again.
    checks.that(
      'API calls repeated ≤ the in-flight window per kill',
      repeated <= interrupted * WINDOW * 2,
      `${repeated} repeated over ${interrupted} kills mid-run, window ${WINDOW} files`,
    );
    return {
      scenario: 'kill loop',
      rows: [DESIGN_ROWS.sigkill],
      figures: {
        files: manifest.length,
        SIGKILLs: kills,
        'kills that landed mid-run': interrupted,
        'state folder sound after kill': `${soundAfterKill}/${kills}`,
        'files finished when each kill landed': progress.join(' '),
        'API calls repeated per kill': Number((repeated / Math.max(1, interrupted)).toFixed(1)),
        'in-flight window (files)': WINDOW,
        'files lost': verdict.missing,
        'wrong answers': verdict.wrong,
      },
      checks: checks.results,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await emulator.close();
    removeScratch(work);
  }
}
