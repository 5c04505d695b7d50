import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateCorpus, type ManifestEntry } from '../src/corpus/generate.ts';
import { startEmulator } from '../src/emulator/server.ts';
import { ByteBudget } from '../src/main/intake/byte-budget.ts';
import { Pricing } from '../src/main/models/pricing.ts';
import { runCli } from './helpers/cli.ts';
import { readManifest, readRecords } from './helpers/run-fixture.ts';
import { tempDir } from './helpers/temp.ts';

/**
 * The Flex tier: half price, minutes of latency, requests shed when the server is short of
 * capacity. Against the emulator at 1/200 time scale: a flex answer takes ~1.5 s instead of ~5 min.
 */
const KEY = { GEMINI_API_KEY: 'test-key' };
const work = tempDir('flex');
const corpus = join(work, 'corpus');
let manifest: ManifestEntry[];

before(async () => {
  await generateCorpus({ dir: corpus, count: 40, seed: 18, maxPages: 2, damagedRate: 0 });
  manifest = readManifest(corpus);
});

test('--service-tier flex: every file answered though the server sheds, billed at half the standard price', async () => {
  // Room for 8 flex requests in flight per model: the rest are shed until answers free it.
  const emulator = await startEmulator({
    timeScale: 0.005,
    flex: { medianMs: 300_000, sigma: 0.3, capacity: 8 },
    defaultLatency: { medianMs: 0, sigma: 0 },
    latency: {},
  });
  after(() => emulator.close());
  const result = await runCli(
    [
      'run',
      corpus,
      '-o',
      join(work, 'flex.jsonl'),
      '--db',
      join(work, 'flex-db'),
      '--base-url',
      emulator.url,
      '--no-tui',
      '--service-tier',
      'flex',
      '--passes',
      '1',
      '--quota-window-ms',
      '300',
      '--rpm',
      'gemini-3.5-flash-lite=600',
      '--retry-base-ms',
      '200',
    ],
    { env: KEY },
  );
  assert.equal(result.code, 0, result.stderr);
  const stats = emulator.stats();
  assert.ok((stats.faults.flex_shed ?? 0) > 0, 'the server shed some requests');
  assert.equal(stats.byTier.flex?.requests, manifest.length, 'each file answered once, at the flex tier');
  assert.equal(stats.byTier.standard, undefined);
  const records = readRecords(join(work, 'flex.jsonl'));
  assert.equal(records.filter((record) => record.status === 'done').length, manifest.length, 'a shed request is retried, never a failed file');

  // The records' cost is half of what the same tokens cost at the standard tier.
  const { input, output, thinking } = stats.byTier.flex!;
  const standard = new Pricing({}, 'standard').cost('gemini-3.5-flash-lite', input, output + thinking);
  const recorded = records.reduce((sum, record) => sum + record.usage.costUsd, 0);
  assert.ok(Math.abs(recorded - standard / 2) < 1e-9, `recorded $${recorded}, standard $${standard}`);
});

test('an unknown service tier is refused by the server as Google refuses it, and by docpool before any work', async () => {
  const emulator = await startEmulator({});
  after(() => emulator.close());
  const response = await fetch(`${emulator.url}/v1beta/models/gemini-3.5-flash-lite:generateContent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k' },
    body: JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }], serviceTier: 'cheapest' }),
  });
  assert.equal(response.status, 400);
  assert.match(((await response.json()) as { error: { message: string } }).error.message, /Invalid value at 'service_tier'/);
  const refused = await runCli(['run', corpus, '--service-tier', 'cheapest', '--no-tui'], { env: KEY });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--service-tier/);
});

test('bytes in flight stay under --max-inflight-mb: a budget smaller than one file still finishes the run', async () => {
  const emulator = await startEmulator({ defaultLatency: { medianMs: 0, sigma: 0 }, latency: {} });
  after(() => emulator.close());
  const result = await runCli(
    [
      'run',
      corpus,
      '-o',
      join(work, 'tiny.jsonl'),
      '--db',
      join(work, 'tiny-db'),
      '--base-url',
      emulator.url,
      '--no-tui',
      '--passes',
      '1',
      '--max-inflight-mb',
      '0.001',
      '--rpm',
      'gemini-3.5-flash-lite=100000',
    ],
    { env: KEY },
  );
  assert.equal(result.code, 0, result.stderr);
  assert.equal(readRecords(join(work, 'tiny.jsonl')).filter((record) => record.status === 'done').length, manifest.length);
  assert.ok(emulator.stats().inFlightPeak <= 1, `one file at a time when each is over the budget (peak ${emulator.stats().inFlightPeak})`);
});

test('ByteBudget: holds up to its limit, waits for room, lets a file larger than the limit through alone', async () => {
  const budget = new ByteBudget(100);
  const first = await budget.take(60);
  let secondIn = false;
  const second = budget.take(60).then((held) => ((secondIn = true), held));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(secondIn, false, 'waits while 60 + 60 > 100');
  first.resize(30);
  const held = await second;
  assert.equal(budget.used, 90);
  first.release();
  held.release();
  const huge = await budget.take(500);
  assert.equal(budget.used, 100, 'a file over the limit holds the whole budget');
  huge.release();
  assert.equal(budget.used, 0);
});
