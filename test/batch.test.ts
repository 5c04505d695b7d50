import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateCorpus, type ManifestEntry } from '../src/corpus/generate.ts';
import { startEmulator } from '../src/emulator/server.ts';
import type { EmulatorConfigInput } from '../src/emulator/config.ts';
import type { FileRecord } from '../src/main/state/record.ts';
import { runCli, startCli, UNLIMITED } from './helpers/cli.ts';
import { readManifest, readRecords } from './helpers/run-fixture.ts';
import { tempDir } from './helpers/temp.ts';

/**
 * `--batch`: the same records through the Batch API at half the price, no online call; a job is
 * never created twice, whatever kills the run; failed requests and failed, expired or cancelled
 * jobs end with every file answered or failed with a reason.
 */
const KEY = { GEMINI_API_KEY: 'test-key' };
const work = tempDir('batch');
const corpus = join(work, 'corpus');
let manifest: ManifestEntry[];
/** A job queues 0.8 s and runs ~1 s at this scale; online answers at once. */
const EMULATED: EmulatorConfigInput = { timeScale: 0.02, defaultLatency: { medianMs: 0, sigma: 0 }, latency: {} };
const BATCH = ['--batch', '--batch-poll-ms', '150', '--batch-linger-ms', '300', '--batch-size', '250'];

before(async () => {
  await generateCorpus({ dir: corpus, count: 1000, seed: 17, maxPages: 3 });
  manifest = readManifest(corpus);
});

async function emulator(config: EmulatorConfigInput = {}) {
  const running = await startEmulator({ ...EMULATED, ...config });
  after(() => running.close());
  return running;
}

const args = (url: string, name: string, ...extra: string[]) => ['run', corpus, '-o', join(work, `${name}.jsonl`), '--db', join(work, `${name}-db`), '--base-url', url, '--no-tui', ...UNLIMITED, ...extra];
const run = (url: string, name: string, ...extra: string[]) => runCli(args(url, name, ...extra), { env: KEY });
const answers = (records: FileRecord[]) => new Map(records.map((record) => [record.path, JSON.stringify({ status: record.status, class: record.class, fields: record.fields })]));
const cost = (records: FileRecord[]) => records.reduce((sum, record) => sum + record.usage.costUsd, 0);
const tokens = (records: FileRecord[]) => records.reduce((sum, record) => sum + record.usage.input + record.usage.output + record.usage.thinking, 0);

function assertTruth(records: FileRecord[]): void {
  const byFile = new Map(records.map((record) => [record.path, record]));
  for (const entry of manifest) {
    const record = byFile.get(join(corpus, entry.file));
    assert.ok(record, `a record for ${entry.file}`);
    if (entry.damaged !== null) {
      assert.equal(record.status, 'failed', `${entry.file} (${entry.damaged}) fails with a reason`);
      continue;
    }
    assert.equal(record.status, 'done', `${entry.file}: ${JSON.stringify(record.error)}`);
    assert.equal(record.class, entry.class, entry.file);
  }
  assert.equal(records.length, manifest.length, 'one line per file, none twice');
}

test('1,000 files through --batch: the online run\'s answers, every intact file right, no online call, half the cost for the same tokens', async () => {
  const server = await emulator();
  const online = await run(server.url, 'online');
  assert.equal(online.code, 1, 'the damaged files fail (exit 1), the rest answer');
  const onlineRecords = readRecords(join(work, 'online.jsonl'));

  server.resetStats();
  const batch = await run(server.url, 'batch', ...BATCH);
  assert.equal(batch.code, 1, batch.stderr.slice(-2000));
  const stats = server.stats();
  assert.equal(stats.requests.byMethod.generateContent, undefined, 'no online generateContent call');
  assert.ok(stats.batches.created >= 2 && stats.batches.succeeded === stats.batches.created, JSON.stringify(stats.batches));
  const batchRecords = readRecords(join(work, 'batch.jsonl'));
  assertTruth(batchRecords);
  assert.deepEqual(answers(batchRecords), answers(onlineRecords));
  assert.equal(tokens(batchRecords), tokens(onlineRecords), 'the same tokens');
  assert.ok(Math.abs(cost(batchRecords) - cost(onlineRecords) / 2) < 1e-9, `half the cost: ${cost(batchRecords)} vs ${cost(onlineRecords)}`);
  assert.equal(stats.byTier.batch?.requests, stats.batches.requests, 'every batch request billed at the batch tier');
});
