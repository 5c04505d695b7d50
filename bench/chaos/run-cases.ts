/** Bad-input cases about the run: refused keys and models, budgets, signals, files changing under it. */
import type { ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { generateCorpus } from '../../src/corpus/generate.ts';
import { Rng } from '../../src/corpus/rng.ts';
import { type EmulatorOptions, type RunningEmulator, startEmulator } from '../../src/emulator/server.ts';
import { readManifest, waitForLines } from '../../test/helpers/run-fixture.ts';
import { KEY_ENV, summaryOf, UNLIMITED } from '../harness.ts';
import { DESIGN_ROWS } from './checks.ts';
import { type CaseContext, type CaseResult, countCodes, endedCleanly, goodFiles, runOver, verdictOf } from './matrix.ts';
import { describe, sound, verify } from './verify.ts';

const ZERO_LATENCY = { defaultLatency: { medianMs: 0, sigma: 0 }, latency: {} };
const slowLatency = {
  timeScale: 0.05,
  latency: { 'gemini-3.5-flash-lite': { medianMs: 4000, sigma: 0.3 }, 'gemini-3.8-flash': { medianMs: 8000, sigma: 0.3 } },
};
const gemini = (emulator: RunningEmulator, ...extra: string[]) => ['--base-url', emulator.url, '--no-tui', ...UNLIMITED, ...extra];

/** Runs one case against its own emulator, closed whatever happens. */
async function withEmulator<T>(options: EmulatorOptions, use: (emulator: RunningEmulator) => Promise<T>): Promise<T> {
  const emulator = await startEmulator(options);
  try {
    return await use(emulator);
  } finally {
    await emulator.close();
  }
}

/** The line where docpool says why it stopped. */
const stopLine = (stderr: string) =>
  stderr
    .split('\n')
    .find((line) => /refused|not found/.test(line))
    ?.trim() ?? '(no reason given)';

export async function refusedKey(context: CaseContext): Promise<CaseResult> {
  return withEmulator({ acceptedKeys: ['the-right-key'], ...ZERO_LATENCY }, async (emulator) => {
    const dir = context.folder('key');
    goodFiles(context, dir, 4);
    const outcome = await runOver([dir], context.folder('key-run'), gemini(emulator), { GEMINI_API_KEY: 'a-wrong-key', GOOGLE_API_KEY: '' });
    return verdictOf(
      DESIGN_ROWS.fatal,
      'a key the API refuses',
      'the run stops at once saying what to fix (exit 3); no file marked failed',
      stopLine(outcome.run.stderr),
      [
        endedCleanly(outcome.run, 3),
        /GEMINI_API_KEY/.test(outcome.run.stderr) ? undefined : 'the message does not say which variable to fix',
        outcome.records.length === 0 ? undefined : `${outcome.records.length} records written`,
      ],
    );
  });
}

export async function unknownModel(context: CaseContext): Promise<CaseResult> {
  return withEmulator(ZERO_LATENCY, async (emulator) => {
    const dir = context.folder('model');
    goodFiles(context, dir, 4);
    const model = 'gemini-9.9-flash';
    const outcome = await runOver(
      [dir],
      context.folder('model-run'),
      gemini(emulator, '--classify-model', model, '--rpm', `${model}=100`, '--tpm', `${model}=1000000`),
      KEY_ENV,
    );
    return verdictOf(
      DESIGN_ROWS.fatal,
      `a model the API does not serve (${model})`,
      'the run stops at once naming the model (exit 3); no file marked failed',
      stopLine(outcome.run.stderr),
      [
        endedCleanly(outcome.run, 3),
        outcome.run.stderr.includes(model) ? undefined : 'the message does not name the model',
        outcome.records.length === 0 ? undefined : `${outcome.records.length} records written`,
      ],
    );
  });
}

export async function budgets(context: CaseContext): Promise<CaseResult> {
  return withEmulator({ ...ZERO_LATENCY, quota: { 'gemini-3.5-flash-lite': { rpd: 6 } } }, async (emulator) => {
    const dir = context.folder('budgets');
    goodFiles(context, dir, 12);
    const daily = await runOver([dir], context.folder('daily-run'), gemini(emulator), KEY_ENV);
    emulator.configure({ quota: 'none' });
    const costly = await runOver([dir], context.folder('cost-run'), gemini(emulator, '--max-cost', '0.03'), KEY_ENV);
    const spent = Number(/spent \$([\d.]+)/.exec(costly.run.stderr)?.[1]);
    return verdictOf(
      DESIGN_ROWS.budget,
      'a per-day quota of 6 requests; --max-cost $0.03',
      'admission stops, in-flight files finish, exit 4, the summary says how to go on',
      `quota: ${countCodes(daily.records)}; cost: ${countCodes(costly.records)}, spent $${spent}`,
      [
        endedCleanly(daily.run, 4),
        /per-day quota of gemini-3.5-flash-lite is used up/.test(daily.run.stderr) ? undefined : 'no per-day quota message',
        daily.records.some((record) => (record.error?.code as string | undefined) === 'API_DAILY_QUOTA') ? 'a file was failed for the quota' : undefined,
        endedCleanly(costly.run, 4),
        /--max-cost/.test(costly.run.stderr) ? undefined : 'no --max-cost message',
        spent > 0 && spent <= 0.03 ? undefined : `spent $${spent} on a $0.03 budget`,
      ],
    );
  });
}

export async function signals(context: CaseContext): Promise<CaseResult> {
  return withEmulator(slowLatency, async (emulator) => {
    const corpus = context.folder('signals');
    await generateCorpus({ dir: corpus, count: 150, seed: 41, maxPages: 2, damagedRate: 0 });
    const manifest = readManifest(corpus);
    const work = context.folder('signals-run');
    const out = join(work, 'out.jsonl');
    const args = gemini(emulator, '--window', '12');
    // Signals land once this attempt is committing files (before that, Node's default handling applies).
    const interrupt = (times: number) => async (child: ChildProcess) => {
      await waitForLines(`${out}.partial`, 5);
      for (let sent = 0; sent < times; sent++) {
        child.kill('SIGINT');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const once = await runOver([corpus], work, args, KEY_ENV, { onSpawn: (child) => void interrupt(1)(child) });
    const twice = await runOver([corpus], work, args, KEY_ENV, { onSpawn: (child) => void interrupt(2)(child) });
    const final = await runOver([corpus], work, args, KEY_ENV);
    const verdict = verify(final.records, corpus, manifest);
    return verdictOf(
      DESIGN_ROWS.sigint,
      'SIGINT mid-run; then SIGINT twice; then a plain re-run',
      'drain and summary, exit 130; a second SIGINT stops at once; the next run resumes and completes',
      `first stop after ${once.records.length} files (${Math.round(once.run.wallSeconds)} s), hard stop in ${Math.round(twice.run.wallSeconds)} s, final ${describe(verdict)}`,
      [
        endedCleanly(once.run, 130),
        /finishing the ones in flight/.test(once.run.stderr) && /run the same command again/.test(once.run.stderr)
          ? undefined
          : 'no drain message or resume hint',
        once.records.some((record) => record.error?.code === 'INTERRUPTED') ? 'a file was cut off by a graceful stop' : undefined,
        endedCleanly(twice.run, 130),
        endedCleanly(final.run, 0),
        sound(verdict) && verdict.failedIntact === 0 ? undefined : describe(verdict),
      ],
    );
  });
}

/** Deletes and truncates files the run has not reached yet, then checks the re-run sees every change. */
export async function changedMidRun(context: CaseContext): Promise<CaseResult> {
  return withEmulator(slowLatency, async (emulator) => {
    const corpus = context.folder('changing');
    await generateCorpus({ dir: corpus, count: 160, seed: 43, maxPages: 2, damagedRate: 0 });
    const manifest = readManifest(corpus);
    const work = context.folder('changing-run');
    const out = join(work, 'out.jsonl');
    const rng = new Rng(43);
    const deleted: string[] = [];
    const truncated: string[] = [];
    const meddle = async () => {
      await waitForLines(`${out}.partial`, 10);
      const seen = readFileSync(`${out}.partial`, 'utf8');
      const untouched = manifest.filter((entry) => !seen.includes(entry.file));
      for (const entry of untouched.filter(() => rng.chance(0.3))) {
        const path = join(corpus, entry.file);
        if (rng.chance(0.5)) {
          rmSync(path);
          deleted.push(entry.file);
        } else {
          truncateSync(path, Math.floor(statSync(path).size / 2));
          truncated.push(entry.file);
        }
      }
    };
    const first = await runOver([corpus], work, gemini(emulator, '--window', '8'), KEY_ENV, { onSpawn: () => void meddle() });
    const changed = new Set([...deleted, ...truncated]);
    const firstVerdict = verify(
      first.records,
      corpus,
      manifest.filter((entry) => !changed.has(entry.file)),
    );
    const odd = first.records.filter((record) => {
      const file = record.path.slice(corpus.length + 1);
      const allowed = deleted.includes(file) ? ['done', 'FILE_NOT_FOUND'] : truncated.includes(file) ? ['done', 'PDF_TRUNCATED'] : undefined;
      return allowed && !allowed.includes(record.status === 'done' ? 'done' : (record.error?.code ?? ''));
    });
    const second = await runOver([corpus], work, gemini(emulator, '--window', '8'), KEY_ENV);
    const expectedNow = manifest
      .filter((entry) => !deleted.includes(entry.file))
      .map((entry) => (truncated.includes(entry.file) ? { ...entry, damaged: 'PDF_TRUNCATED' as const } : entry));
    const secondVerdict = verify(second.records, corpus, expectedNow);
    const read = summaryOf(second.run).filesRead;
    return verdictOf(
      DESIGN_ROWS.paths,
      `${deleted.length} files deleted and ${truncated.length} truncated while the run was going`,
      'each reported per file (FILE_NOT_FOUND, PDF_TRUNCATED, or answered if read first); a re-run sees every change and reads only the changed files',
      `first run: ${countCodes(first.records)}; re-run read ${read} files`,
      [
        endedCleanly(first.run, 1),
        first.duplicated.length ? `duplicates: ${first.duplicated.length}` : undefined,
        firstVerdict.missing + firstVerdict.wrong + firstVerdict.failedIntact === 0 ? undefined : `unchanged files: ${describe(firstVerdict)}`,
        odd.length ? `${odd.length} changed files with an unexpected outcome` : undefined,
        deleted.length + truncated.length > 0 ? undefined : 'nothing was changed in time',
        endedCleanly(second.run, 1),
        sound(secondVerdict) ? undefined : `re-run: ${describe(secondVerdict)}`,
        read <= truncated.length ? undefined : `re-run read ${read} files for ${truncated.length} changed`,
      ],
    );
  });
}
