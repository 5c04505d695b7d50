import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateCorpus, type ManifestEntry } from '../src/corpus/generate.ts';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.ts';
import { FINANCE_PROFILE } from '../src/main/profiles/finance.ts';
import type { StateStatus } from '../src/main/commands/status.ts';
import { runCli, startCli, UNLIMITED } from './helpers/cli.ts';
import { readManifest, readRecords, recordsByFile, waitForLines } from './helpers/run-fixture.ts';
import { tempDir } from './helpers/temp.ts';

const corpus = tempDir('resume-corpus');
let manifest: ManifestEntry[];
let intact: ManifestEntry[];
let neededCalls: number;
let emulator: RunningEmulator;
const WINDOW = 24;

before(async () => {
  await generateCorpus({ dir: corpus, count: 240, seed: 123, maxPages: 6, damagedRate: 0.05 });
  manifest = readManifest(corpus);
  intact = manifest.filter((entry) => !entry.damaged);
  neededCalls = intact.length + intact.filter((entry) => entry.class in FINANCE_PROFILE.extract).length;
  // Latency makes a run last a few seconds, so a kill lands mid-run.
  emulator = await startEmulator({
    timeScale: 0.05,
    latency: { 'gemini-3.5-flash-lite': { medianMs: 2000, sigma: 0.3 }, 'gemini-3.8-flash': { medianMs: 4000, sigma: 0.3 } },
  });
});
after(() => emulator.close());

const apiCalls = () => Object.values(emulator.stats().requests.byModel).reduce((sum, count) => sum + count, 0);
const args = (work: string) => [
  'run',
  corpus,
  '-o',
  join(work, 'out.jsonl'),
  '--db',
  join(work, 'db'),
  '--base-url',
  emulator.url,
  '--window',
  String(WINDOW),
  '--no-tui',
  ...UNLIMITED,
];
const env = { GEMINI_API_KEY: 'k', GOOGLE_API_KEY: '' };

function assertComplete(work: string): void {
  const byFile = recordsByFile(readRecords(join(work, 'out.jsonl')), corpus);
  assert.equal(byFile.size, manifest.length, 'one line per input file, no duplicates');
  for (const entry of manifest) {
    const record = byFile.get(entry.file)!;
    if (entry.damaged) assert.equal(record.error?.code, entry.damaged);
    else assert.equal(record.class, entry.class, `${entry.file}: ${record.error?.code ?? ''}`);
  }
}

test('SIGKILL at random moments: the state folder stays sound, the output ends complete, and only in-flight work is repeated', async () => {
  const work = tempDir('kill');
  emulator.resetStats();
  const kills = 3;
  const out = join(work, 'out.jsonl');
  for (let kill = 0; kill < kills; kill++) {
    // Lines stream to <out>.partial while a run goes; a killed attempt leaves its partial behind.
    rmSync(`${out}.partial`, { force: true });
    const { child, result } = startCli(args(work), { env });
    // A random moment once this attempt is committing files: a fixed delay can land before
    // start-up ends on a loaded machine, and then nothing is ever resumed.
    await waitForLines(`${out}.partial`, 5, 60_000);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 800));
    child.kill('SIGKILL');
    await result;
  }
  const final = await runCli(args(work), { env });
  assert.equal(final.code, 1, `the last run finishes (damaged files → exit 1)\n${final.stderr}`);
  assert.match(final.stderr, /resuming run \(last attempt running\) \w+: \d+ done/);
  assertComplete(work);
  const repeated = apiCalls() - neededCalls;
  assert.ok(repeated >= 0 && repeated <= kills * WINDOW * 2, `repeated ${repeated} calls over ${kills} kills, window ${WINDOW} files (≤ 2 calls each)`);
});

test('SIGINT drains in-flight files, exits 130, and the next run resumes with a correct banner', async () => {
  const work = tempDir('sigint');
  const { child, result } = startCli(args(work), { env });
  // Signal once files are finishing (start-up under a loaded test machine can take seconds).
  await waitForLines(join(work, 'out.jsonl.partial'), 10, 30_000);
  child.kill('SIGINT');
  const stopped = await result;
  assert.equal(stopped.code, 130, stopped.stderr);
  assert.match(stopped.stderr, /stopping: no new files; finishing the ones in flight/);
  assert.match(stopped.stderr, /run the same command again to go on/);
  const first = readRecords(join(work, 'out.jsonl'));
  assert.ok(first.length > 0 && first.length < manifest.length, `stopped part-way (${first.length})`);
  assert.ok(
    first.every((record) => record.error?.code !== 'INTERRUPTED'),
    'nothing in flight was cut off',
  );
  const done = first.filter((record) => record.status === 'done').length;
  const failed = first.length - done;

  const status = JSON.parse((await runCli(['status', '--db', join(work, 'db'), '--json'])).stdout) as StateStatus;
  assert.equal(status.runs[0]?.state, 'interrupted');
  assert.equal(status.runs[0]?.done, done);

  const resumed = await runCli(args(work), { env });
  assert.match(resumed.stderr, new RegExp(`resuming run \\(last attempt interrupted\\) \\w+: ${done} done, ${failed} failed`));
  assertComplete(work);
});

test('an unchanged re-run reads no file and calls no API; export rebuilds the results from LMDB alone', async () => {
  const work = tempDir('unchanged');
  await runCli(args(work), { env });
  const callsBefore = apiCalls();
  const again = await runCli(args(work), { env });
  assert.equal(apiCalls(), callsBefore, 'no API call');
  assert.match(again.stderr, /read {5}0 files read and hashed/);
  assertComplete(work);

  const status = JSON.parse((await runCli(['status', '--db', join(work, 'db'), '--json'])).stdout) as StateStatus;
  assert.equal(status.runs[0]?.filesRead, 0);
  assert.equal(status.runs[0]?.state, 'complete');
  const exported = join(work, 'exported.jsonl');
  const result = await runCli(['export', '-o', exported, '--db', join(work, 'db'), '--json']);
  assert.equal(JSON.parse(result.stdout).records, manifest.length);
  const byFile = recordsByFile(readRecords(exported), corpus);
  assert.equal(byFile.size, manifest.length);

  // A new run over the same files (another output, so another run id? no: same inputs) — use a
  // superset folder: a different run whose unchanged files come from the stat cache unread.
  const superset = tempDir('unchanged-superset');
  mkdirSync(join(superset, 'extra'));
  const statRun = await runCli(
    ['run', corpus, superset, '-o', join(work, 'b.jsonl'), '--db', join(work, 'db'), '--base-url', emulator.url, '--no-tui', ...UNLIMITED],
    { env },
  );
  assert.match(statRun.stderr, /read {5}\d+ files read and hashed; \d+ unchanged files not read/);
  const [, readCount, statHits] = /read {5}(\d+) files read and hashed; (\d+) unchanged/.exec(statRun.stderr)!;
  assert.equal(Number(statHits) + Number(readCount), manifest.length);
  assert.ok(Number(statHits) >= intact.length - 2, `unchanged files answered from the stat cache (${statHits})`);
  assert.equal(apiCalls(), callsBefore, 'still no API call');
});

test('--max-cost stops admission before the spend passes it, and the next run goes on', async () => {
  const work = tempDir('budget');
  const stopped = await runCli([...args(work), '--max-cost', '0.05'], { env });
  assert.equal(stopped.code, 4, stopped.stderr);
  assert.match(stopped.stderr, /projected spend reached --max-cost \$0.05/);
  const spent = Number(/spent \$([\d.]+)/.exec(stopped.stderr)?.[1]);
  assert.ok(spent < 0.1, `spent ${spent}, close to the budget`);
  assert.ok(readRecords(join(work, 'out.jsonl')).length < manifest.length);
  const rest = await runCli(args(work), { env });
  assert.equal(rest.code, 1);
  assertComplete(work);
});

test('a per-day quota 429 stops admission and says how to go on', async () => {
  const daily = await startEmulator({ defaultLatency: { medianMs: 0, sigma: 0 }, latency: {}, quota: { 'gemini-3.5-flash-lite': { rpd: 10 } } });
  after(() => daily.close());
  const work = tempDir('daily');
  const result = await runCli(['run', corpus, '-o', join(work, 'out.jsonl'), '--db', join(work, 'db'), '--base-url', daily.url, '--no-tui', ...UNLIMITED], {
    env,
  });
  assert.equal(result.code, 4, result.stderr);
  assert.match(result.stderr, /per-day quota of gemini-3.5-flash-lite is used up/);
  assert.match(result.stderr, /midnight Pacific/);
  assert.ok(
    readRecords(join(work, 'out.jsonl')).every((record) => (record.error?.code as string | undefined) !== 'API_DAILY_QUOTA'),
    'no file is failed for the quota',
  );
});

test('a state folder from another tool, a damaged one, or a missing one gives a clear error', async () => {
  const other = tempDir('other-tool');
  writeFileSync(join(other, 'notes.txt'), 'not lmdb');
  const foreign = await runCli(['run', corpus, '--db', other, '-o', join(other, 'o.jsonl'), '--provider', 'offline']);
  assert.equal(foreign.code, 2);
  assert.match(foreign.stderr, /exists and is not a docpool state folder/);

  const damaged = tempDir('damaged-db');
  writeFileSync(join(damaged, 'data.mdb'), 'garbage that is not an LMDB file'.repeat(200));
  const broken = await runCli(['status', '--db', damaged]);
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /data.mdb cannot be opened safely: its first page is not an LMDB meta page/);

  // A folder name with a dot is still a folder (lmdb-js would take it for a file name).
  const dotted = join(tempDir('dotted'), 'my.state');
  // One file is enough to make a state folder (a folder of long scans would spend half a minute in OCR).
  const ok = await runCli(['run', join(corpus, 'batch-000', 'doc-000001.pdf'), '--db', dotted, '-o', join(dotted, '..', 'o.jsonl'), '--provider', 'offline']);
  assert.ok(ok.code === 0 || ok.code === 1, ok.stderr);
  const reopened = await runCli(['status', '--db', dotted]);
  assert.equal(reopened.code, 0, `a real state folder passes the LMDB check\n${reopened.stderr}`);

  const missing = await runCli(['status', '--db', join(damaged, 'nope')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no docpool state folder at/);
});
