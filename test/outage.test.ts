import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { generateCorpus } from '../src/corpus/generate.ts';
import { startEmulator } from '../src/emulator/server.ts';
import { startCli } from './helpers/cli.ts';
import { readManifest, readRecords, recordsByFile, waitForLines } from './helpers/run-fixture.ts';
import { tempDir } from './helpers/temp.ts';

/**
 * A model-wide outage in the middle of a run (the emulator's 2.5 Pro answers 503 "The model is
 * overloaded" to everything for 20 emulated seconds): docpool must hold the model and probe it,
 * not let every in-flight file burn its six attempts and fail, and the other model keeps working.
 */
const TIME_SCALE = 0.1;
const OUTAGE_SECONDS = 20;
const PRO_CONCURRENCY = 8;
const RETRY_BASE_MS = 50;
const THRESHOLD = 5;

test('a 20-second outage of the extraction model mid-run: no file fails, probes stay bounded, classification goes on', { timeout: 120_000 }, async (t) => {
  const dir = tempDir('outage');
  const corpus = join(dir, 'corpus');
  await generateCorpus({ dir: corpus, count: 120, seed: 33, maxPages: 3, damagedRate: 0, scannedRate: 0 });
  const emulator = await startEmulator({
    timeScale: TIME_SCALE,
    latency: { 'gemini-3.5-flash-lite': { medianMs: 800, sigma: 0.2 }, 'gemini-3.8-flash': { medianMs: 1500, sigma: 0.2 } },
  });
  after(() => emulator.close());
  const out = join(dir, 'results.jsonl');
  const run = startCli(
    [
      'run',
      corpus,
      '-o',
      out,
      '--db',
      join(dir, 'db'),
      '--base-url',
      emulator.url,
      '--no-tui',
      '--quota-window-ms',
      String(60_000 * TIME_SCALE),
      '--retry-base-ms',
      String(RETRY_BASE_MS),
      '--concurrency',
      `gemini-3.5-flash-lite=8,gemini-3.8-flash=${PRO_CONCURRENCY}`,
    ],
    { env: { GEMINI_API_KEY: 'test-key' } },
  );
  await waitForLines(`${out}.partial`, 15);
  const before = emulator.stats();
  emulator.configure({ outages: [{ model: 'gemini-3.8-flash', seconds: OUTAGE_SECONDS }] });
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_SECONDS * TIME_SCALE * 1000));
  const during = emulator.stats();
  const result = await run.result;

  const records = readRecords(out);
  const byFile = recordsByFile(records, corpus);
  const manifest = readManifest(corpus);
  assert.equal(byFile.size, manifest.length, 'one record per file');
  const failed = records.filter((record) => record.status === 'failed');
  assert.deepEqual(
    failed.map((record) => `${record.path}: ${record.error?.code}`),
    [],
    'no file fails because of the outage',
  );
  assert.equal(result.code, 0, result.stderr);

  // Requests the down model got during the outage: those in flight when it began (≤ its
  // concurrency), the failures that reveal it (the threshold), and one probe per doubling of the
  // backoff over the outage, plus one: ≤ 8 + 5 + log2(2000 ms / 50 ms) + 2 = 21. Without the
  // guard, every in-flight file retries six times on its own (≥ 48) and then fails.
  const refused = during.faults.outage_503 ?? 0;
  const bound = PRO_CONCURRENCY + THRESHOLD + Math.ceil(Math.log2((OUTAGE_SECONDS * TIME_SCALE * 1000) / RETRY_BASE_MS)) + 2;
  t.diagnostic(
    `requests to the down model during the outage: ${refused} (bound ${bound}); classify requests meanwhile: ${(during.requests.byModel['gemini-3.5-flash-lite'] ?? 0) - (before.requests.byModel['gemini-3.5-flash-lite'] ?? 0)}`,
  );
  assert.ok(refused > 0, 'the outage was hit');
  assert.ok(refused <= bound, `${refused} requests to the down model during the outage (bound ${bound})`);
  // The other model kept answering while the extraction model was down.
  const flashDuring = (during.requests.byModel['gemini-3.5-flash-lite'] ?? 0) - (before.requests.byModel['gemini-3.5-flash-lite'] ?? 0);
  assert.ok(flashDuring > 0, 'classification went on during the outage');
});
