import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateCorpus, type ManifestEntry } from '../src/corpus/generate.ts';
import { startEmulator } from '../src/emulator/server.ts';
import { runCli, startCli, UNLIMITED } from './helpers/cli.ts';
import { readManifest, readRecords, waitForLines } from './helpers/run-fixture.ts';
import { tempDir } from './helpers/temp.ts';

/**
 * Issue 12's nine ways a real run went wrong, each through the real CLI (pool, MuPDF, LMDB, SDK)
 * against the emulator, each asserting what the user would see.
 */
const KEY = { GEMINI_API_KEY: 'test-key' };
const zeroLatency = { defaultLatency: { medianMs: 0, sigma: 0 }, latency: {} };
const corpus = join(tempDir('trust-corpus'), 'corpus');
let manifest: ManifestEntry[];
let intact: number;

before(async () => {
  await generateCorpus({ dir: corpus, count: 60, seed: 12, maxPages: 3, damagedRate: 0, scannedRate: 0 });
  manifest = readManifest(corpus);
  intact = manifest.length;
});

async function emulator(options: Parameters<typeof startEmulator>[0] = {}) {
  const running = await startEmulator({ ...zeroLatency, ...options });
  after(() => running.close());
  return running;
}

const runArgs = (url: string, work: string, ...extra: string[]) => [
  'run',
  corpus,
  '-o',
  join(work, 'out.jsonl'),
  '--db',
  join(work, 'db'),
  '--base-url',
  url,
  '--no-tui',
  ...UNLIMITED,
  ...extra,
];

test('1. a setting that changes an answer never gets a cached answer made under another: extract model, endpoint, fallback', async () => {
  const work = tempDir('trust-keys');
  const first = await emulator();
  assert.equal((await runCli(runArgs(first.url, work), { env: KEY })).code, 0);
  const extracted = readRecords(join(work, 'out.jsonl')).filter((record) => record.models.extract);
  assert.ok(extracted.length > 0);

  // Another extraction model: every extraction is asked again, and the records name the new model.
  first.resetStats();
  const flash = await runCli(runArgs(first.url, work, '--extract-model', 'gemini-3.5-flash-lite'), { env: KEY });
  assert.equal(flash.code, 0, flash.stderr);
  assert.equal(
    first.stats().requests.byModel['gemini-3.5-flash-lite'],
    extracted.length,
    'one new extraction per extracted file (classification stays cached)',
  );
  assert.ok(readRecords(join(work, 'out.jsonl')).every((record) => !record.models.extract || record.models.extract === 'gemini-3.5-flash-lite'));

  // Another endpoint with the same state folder: its answers are not the first server's.
  const second = await emulator();
  const moved = await runCli(runArgs(second.url, work), { env: KEY });
  assert.equal(moved.code, 0, moved.stderr);
  assert.equal(second.stats().requests.byModel['gemini-3.5-flash-lite'], intact, 'the second server is asked about every file');

  // An offline fallback answer is never served later as a Gemini answer: a healthy run asks again.
  const down = await emulator({ faultRates: { '503': 1 } });
  const fallbackWork = tempDir('trust-fallback');
  const fallback = await runCli([...runArgs(down.url, fallbackWork, '--fallback', 'offline'), '--max-attempts', '1', '--retry-base-ms', '1'], { env: KEY });
  assert.ok(
    readRecords(join(fallbackWork, 'out.jsonl')).every((record) => record.source === 'offline'),
    fallback.stderr,
  );
  down.configure({ faultRates: {} });
  down.resetStats();
  await runCli([...runArgs(down.url, fallbackWork, '--fallback', 'offline'), '--max-attempts', '1'], { env: KEY });
  assert.equal(down.stats().requests.byModel['gemini-3.5-flash-lite'], intact, 'every fallback answer is asked of Gemini again');
  const healed = readRecords(join(fallbackWork, 'out.jsonl'));
  assert.ok(healed.every((record) => record.source === 'gemini' && record.cached === false));
});

test('2. a refusal that holds for the whole run stops it: exit 3, what to fix, nothing marked failed, the next run answers', async () => {
  const work = tempDir('trust-refusal');
  const refusing = await emulator({ refuse: 'location' });
  const located = await runCli(runArgs(refusing.url, work), { env: KEY });
  assert.equal(located.code, 3, located.stderr);
  assert.match(located.stderr, /User location is not supported.*supported one/);
  // At most what was in flight when the first refusal came back (the classify concurrency, 32)
  // and the few sent while it was being read; without the stop, one request per file (60).
  assert.ok(refusing.stats().requests.total <= 40, `${refusing.stats().requests.total} requests before stopping`);

  // The same 400 for every file (a proxy with a small payload limit): stopped after three, files pending.
  const small = await emulator({ maxPayloadBytes: 2000 });
  const smallWork = tempDir('trust-refusal-400');
  const refused = await runCli(runArgs(small.url, smallWork), { env: KEY });
  assert.equal(refused.code, 3, refused.stderr);
  assert.match(refused.stderr, /refused 3 files the same way: "Request payload size exceeds the limit: 2000 bytes\."/);
  const status = JSON.parse((await runCli(['status', '--db', join(smallWork, 'db'), '--json'])).stdout);
  assert.equal(status.runs[0].failed, 0, 'no file was marked failed');

  // An endpoint that refuses every connection from the start is a wrong address, not an outage to wait out.
  const startedAt = Date.now();
  const unreachable = await runCli(runArgs('http://127.0.0.1:9', tempDir('trust-unreachable'), '--retry-base-ms', '10'), { env: KEY });
  assert.equal(unreachable.code, 3, unreachable.stderr);
  assert.match(unreachable.stderr, /cannot reach the API .*check --base-url/);
  assert.ok(Date.now() - startedAt < 30_000, 'it stops at once, not after the outage give-up time');

  const fixed = await emulator();
  const next = await runCli(runArgs(fixed.url, smallWork), { env: KEY });
  assert.equal(next.code, 0, next.stderr);
  assert.equal(readRecords(join(smallWork, 'out.jsonl')).filter((record) => record.status === 'done').length, intact);
});

test('3. a results file is never shorter than what is committed: a re-run stopped at once still lists every file', async () => {
  const work = tempDir('trust-results');
  const running = await emulator();
  assert.equal((await runCli(runArgs(running.url, work), { env: KEY })).code, 0);
  const out = join(work, 'out.jsonl');
  assert.equal(readRecords(out).length, intact);
  // Stop the re-run as soon as it writes anything: the published file still holds all 60 records.
  const slow = await emulator({ latency: { 'gemini-3.5-flash-lite': { medianMs: 400, sigma: 0 } } });
  const { child, result } = startCli([...runArgs(slow.url, work, '--retry-failed'), '--pages', '2'], { env: KEY });
  await waitForLines(`${out}.partial`, 1, 30_000);
  child.kill('SIGINT');
  const stopped = await result;
  assert.equal(stopped.code, 130, stopped.stderr);
  const records = readRecords(out);
  assert.ok(records.length >= intact, `${records.length} records after the stop; the finished run had ${intact}`);
  assert.equal(existsSync(`${out}.partial`), false);
});

test('4. a stop keeps its deadline, even with requests waiting in a limiter for quota', async () => {
  const work = tempDir('trust-stop');
  const running = await emulator();
  const { child, result } = startCli(
    [
      'run',
      corpus,
      '-o',
      join(work, 'out.jsonl'),
      '--db',
      join(work, 'db'),
      '--base-url',
      running.url,
      '--no-tui',
      '--rpm',
      'gemini-3.5-flash-lite=5,gemini-3.8-flash=100',
      '--drain-timeout-ms',
      '2000',
    ],
    { env: KEY },
  );
  await waitForLines(join(work, 'out.jsonl.partial'), 3, 30_000);
  const stoppedAt = Date.now();
  child.kill('SIGINT');
  const stopped = await result;
  const took = Date.now() - stoppedAt;
  assert.equal(stopped.code, 130, stopped.stderr);
  assert.ok(took < 2000 + 3000, `exited ${took} ms after Ctrl-C (deadline 2 s)`);
});

test('5. a thinking model works in every role: 2.5 Pro classifies without running out of output', async () => {
  const work = tempDir('trust-thinking');
  const running = await emulator();
  const pro = await runCli(runArgs(running.url, work, '--classify-model', 'gemini-3.8-flash'), { env: KEY });
  assert.equal(pro.code, 0, pro.stderr);
  const records = readRecords(join(work, 'out.jsonl'));
  assert.deepEqual(
    records.filter((record) => record.status !== 'done').map((record) => record.error?.code),
    [],
  );
  const byFile = new Map(manifest.map((entry) => [join(corpus, entry.file), entry.class]));
  assert.ok(records.every((record) => record.class === byFile.get(record.path)));
});

test('6. the token limiter never passes the quota when estimates are 4× too high', async () => {
  const work = tempDir('trust-tokens');
  // 64 tokens a page on the server against docpool's 258: every estimate is ~4× the real cost.
  // The quota binds for many windows, and answers take a third of a window: time enough for
  // tokens given back early to be spent twice.
  const running = await emulator({
    timeScale: 0.05,
    quota: { 'gemini-3.5-flash-lite': { tpm: 3000 } },
    pdfPageTokens: { 'gemini-3.5-flash-lite': 64 },
    latency: { 'gemini-3.5-flash-lite': { medianMs: 20_000, sigma: 0 } },
  });
  const result = await runCli(
    [
      'run',
      corpus,
      '-o',
      join(work, 'out.jsonl'),
      '--db',
      join(work, 'db'),
      '--base-url',
      running.url,
      '--no-tui',
      '--quota-window-ms',
      '3000',
      '--tpm',
      'gemini-3.5-flash-lite=3000,gemini-3.8-flash=100000000',
      '--rpm',
      'gemini-3.5-flash-lite=100000,gemini-3.8-flash=100000',
    ],
    { env: KEY },
  );
  assert.equal(result.code, 0, result.stderr);
  assert.equal(running.stats().requests.byStatus['429'] ?? 0, 0, 'the server never refused a request for its token quota');
});

test('7. overlapping inputs give one record per file', async () => {
  const work = tempDir('trust-overlap');
  const running = await emulator();
  const sub = join(corpus, 'batch-000');
  const one = join(
    sub,
    readFileSync(join(corpus, 'manifest.jsonl'), 'utf8')
      .split('\n')[0]!
      .match(/batch-000\/([^"]+)/)?.[1] ?? '',
  );
  const result = await runCli(
    ['run', corpus, sub, one, '-o', join(work, 'out.jsonl'), '--db', join(work, 'db'), '--base-url', running.url, '--no-tui', ...UNLIMITED],
    { env: KEY },
  );
  assert.equal(result.code, 0, result.stderr);
  const paths = readRecords(join(work, 'out.jsonl')).map((record) => record.path);
  assert.equal(paths.length, intact);
  assert.equal(new Set(paths).size, paths.length);
});

test('8. output that cannot be written is a clear error before any work, and leaves no run marked running', async () => {
  const work = tempDir('trust-output');
  const running = await emulator();
  const result = await runCli(['run', corpus, '-o', '/no/such/dir/out.jsonl', '--db', join(work, 'db'), '--base-url', running.url, '--no-tui'], { env: KEY });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--out: the folder \/no\/such\/dir does not exist/);
  assert.doesNotMatch(result.stderr, /at .*\.ts:\d+|internal error/);
  assert.equal(running.stats().requests.total, 0);
  const status = await runCli(['status', '--db', join(work, 'db'), '--json']);
  assert.ok(status.code !== 0 || JSON.parse(status.stdout).runs.length === 0, 'no run was recorded');
});

test('9. one run per state folder: a second is refused naming the first; a stale lock is taken over', async () => {
  const work = tempDir('trust-lock');
  const running = await emulator({ latency: { 'gemini-3.5-flash-lite': { medianMs: 3000, sigma: 0 } } });
  // Twenty at a time, three seconds each: the first run is still going when the second starts.
  const first = startCli([...runArgs(running.url, work), '--concurrency', 'gemini-3.5-flash-lite=20'], { env: KEY });
  await waitForLines(join(work, 'out.jsonl.partial'), 1, 30_000);
  const second = await runCli([...runArgs(running.url, work), '-o', join(work, 'second.jsonl')], { env: KEY });
  assert.equal(second.code, 75, second.stderr);
  assert.match(second.stderr, new RegExp(`another docpool run \\(pid ${first.child.pid}, started \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\)`));
  assert.equal((await first.result).code, 0);
  assert.equal(readRecords(join(work, 'out.jsonl')).length, intact);

  // A lock left by a process that no longer exists is taken over.
  const staleWork = tempDir('trust-lock-stale');
  mkdirSync(join(staleWork, 'db'), { recursive: true });
  const first2 = await runCli(runArgs(running.url, staleWork), { env: KEY });
  assert.equal(first2.code, 0);
  writeFileSync(
    join(staleWork, 'db', 'run.lock'),
    JSON.stringify({ pid: 2 ** 22 + 7, host: (await import('node:os')).hostname(), startedAt: new Date().toISOString() }),
  );
  const after2 = await runCli(runArgs(running.url, staleWork), { env: KEY });
  assert.equal(after2.code, 0, after2.stderr);
});
