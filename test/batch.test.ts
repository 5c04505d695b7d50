import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateCorpus, type ManifestEntry } from '../src/corpus/generate.ts';
import { startEmulator } from '../src/emulator/server.ts';
import type { EmulatorConfigInput } from '../src/emulator/config.ts';
import { FINANCE_PROFILE } from '../src/main/profiles/finance.ts';
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

const args = (url: string, name: string, ...extra: string[]) => [
  'run',
  corpus,
  '-o',
  join(work, `${name}.jsonl`),
  '--db',
  join(work, `${name}-db`),
  '--base-url',
  url,
  '--no-tui',
  ...UNLIMITED,
  ...extra,
];
const run = (url: string, name: string, ...extra: string[]) => runCli(args(url, name, ...extra), { env: KEY });
const answers = (records: FileRecord[]) =>
  new Map(records.map((record) => [record.path, JSON.stringify({ status: record.status, class: record.class, fields: record.fields })]));
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

test("1,000 files through --batch: the online run's answers, every intact file right, no online call, half the cost for the same tokens", async () => {
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

test('ten SIGKILLs during submission and polling, then a re-run: complete, right, and no request ever in two jobs', async () => {
  const server = await emulator({ batch: { queueMs: 150_000 } });
  const needed =
    manifest.filter((entry) => entry.damaged === null).length +
    manifest.filter((entry) => entry.damaged === null && FINANCE_PROFILE.extract[entry.class]).length;
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const phases = { submitting: 0, polling: 0 };
  for (let kill = 0; kill < 10; kill++) {
    const { child, result } = startCli(args(server.url, 'killed', ...BATCH), { env: KEY });
    await new Promise((resolve) => setTimeout(resolve, 1500 + random() * 6000));
    const { created, succeeded } = server.stats().batches;
    child.kill('SIGKILL');
    await result;
    if (created > succeeded) phases.polling++;
    else phases.submitting++;
  }
  assert.ok(phases.polling >= 2 && phases.submitting >= 2, `kills landed while submitting and while polling: ${JSON.stringify(phases)}`);
  const last = await run(server.url, 'killed', ...BATCH);
  assert.equal(last.code, 1, last.stderr.slice(-2000));
  const records = readRecords(join(work, 'killed.jsonl'));
  assertTruth(records);
  assert.deepEqual(answers(records), answers(readRecords(join(work, 'online.jsonl'))));
  const stats = server.stats();
  assert.equal(stats.requests.byMethod.generateContent, undefined);
  assert.equal(stats.batches.requests, needed, `every request submitted once (${stats.batches.created} jobs for ${needed} requests)`);
  assert.equal(stats.batches.succeeded, stats.batches.created, 'every job created was collected');
  const listed = await fetch(`${server.url}/v1beta/batches?pageSize=1000`, { headers: { 'x-goog-api-key': 'k' } }).then(
    (response) => response.json() as Promise<{ operations: Array<{ metadata: { displayName: string } }> }>,
  );
  const names = listed.operations.map((operation) => operation.metadata.displayName);
  assert.equal(new Set(names).size, names.length, 'no display name created twice');
});

test('failed requests, a failed, an expired and a cancelled job: every file answered or failed with a reason; --batch-fallback online answers the rest', async () => {
  const small = join(work, 'small');
  await generateCorpus({ dir: small, count: 80, seed: 3, maxPages: 2, damagedRate: 0 });
  // 48 h is under a second at this scale; jobs 1–3 end failed, expired, cancelled; a fifth of requests fail.
  const server = await emulator({ timeScale: 0.000005, batch: { requestErrorRate: 0.2, outcomes: { '1': 'failed', '2': 'expired', '3': 'cancelled' } } });
  const flags = ['--batch', '--batch-poll-ms', '50', '--batch-linger-ms', '200', '--batch-size', '30', '--passes', '1'];
  const strict = await runCli(
    ['run', small, '-o', join(work, 'strict.jsonl'), '--db', join(work, 'strict-db'), '--base-url', server.url, '--no-tui', ...UNLIMITED, ...flags],
    { env: KEY },
  );
  const records = readRecords(join(work, 'strict.jsonl'));
  assert.equal(records.length, 80, 'every file has its line');
  const failed = records.filter((record) => record.status === 'failed');
  assert.ok(
    failed.every((record) => record.error?.code.startsWith('API_BATCH') && record.error.retryable && /after 3 batch jobs/.test(record.error.message)),
    JSON.stringify(failed.map((record) => record.error)),
  );
  assert.equal(strict.code, failed.length > 0 ? 1 : 0);
  const { batches } = server.stats();
  assert.deepEqual([batches.failed, batches.expired, batches.cancelled], [1, 1, 1]);
  assert.ok(records.filter((record) => record.status === 'done').length >= 60, 'the jobs that ended badly were submitted again');

  server.resetStats();
  const rescued = await runCli(
    [
      'run',
      small,
      '-o',
      join(work, 'rescued.jsonl'),
      '--db',
      join(work, 'rescued-db'),
      '--base-url',
      server.url,
      '--no-tui',
      ...UNLIMITED,
      ...flags,
      '--batch-fallback',
      'online',
    ],
    { env: KEY },
  );
  assert.equal(rescued.code, 0, rescued.stderr.slice(-2000));
  const rescuedRecords = readRecords(join(work, 'rescued.jsonl'));
  assert.ok(rescuedRecords.every((record) => record.status === 'done'));
  const online = server.stats().requests.byMethod.generateContent ?? 0;
  assert.ok(online > 0 && online < 20, `only the requests that failed three times go online (${online})`);
});

test('a stopped run leaves its jobs running and says so; the same command collects them; --cancel cancels them', async () => {
  const server = await emulator({ batch: { queueMs: 600_000 } });
  const small = join(work, 'stop-corpus');
  await generateCorpus({ dir: small, count: 40, seed: 4, maxPages: 2, damagedRate: 0 });
  const flags = [
    'run',
    small,
    '-o',
    join(work, 'stopped.jsonl'),
    '--db',
    join(work, 'stopped-db'),
    '--base-url',
    server.url,
    '--no-tui',
    ...UNLIMITED,
    '--batch',
    '--batch-poll-ms',
    '100',
    '--batch-linger-ms',
    '200',
    '--passes',
    '1',
  ];
  const { child, result } = startCli(flags, { env: KEY });
  while (server.stats().batches.created === 0) await new Promise((resolve) => setTimeout(resolve, 50));
  child.kill('SIGINT');
  const stopped = await result;
  assert.match(stopped.stderr, /1 batch job is still running at Google .* run the same command again to collect the answers, or add --cancel/);
  const status = await runCli(['status', '--db', join(work, 'stopped-db')]);
  assert.match(status.stdout, /batch jobs\s+1 PENDING/);
  const cancelled = await runCli([...flags, '--cancel'], { env: KEY });
  assert.equal(cancelled.code, 0, cancelled.stderr);
  assert.match(cancelled.stderr, /cancelled 1 batch job \(batches\//);
  assert.equal(server.stats().batches.cancelled, 1);
  server.configure({ batch: { queueMs: 1000 } });
  const again = await runCli(flags, { env: KEY });
  assert.equal(again.code, 0, again.stderr.slice(-2000));
  assert.equal(readRecords(join(work, 'stopped.jsonl')).filter((record) => record.status === 'done').length, 40);
  assert.equal(server.stats().batches.created, 2, "the cancelled job's requests went into one new job");
});

test('under --batch, an answer that fails a check earns a second opinion, asked through a batch job too', async () => {
  const server = await emulator({ misread: { rate: 0.1 } });
  const done = await run(server.url, 'second', ...BATCH, '--passes', 'auto');
  assert.ok(done.code === 0 || done.code === 1, done.stderr.slice(-2000));
  const records = readRecords(join(work, 'second.jsonl'));
  const seconds = records.filter((record) => record.secondOpinion);
  assert.ok(seconds.length >= 10, `${seconds.length} second opinions`);
  assert.ok(
    seconds.filter((record) => record.secondOpinion!.kept === 'second').length >= seconds.length * 0.6,
    JSON.stringify(seconds.map((record) => record.secondOpinion)),
  );
  assert.equal(server.stats().requests.byMethod.generateContent ?? 0, 0, 'nothing was asked online');
  const batched = server.stats().batches.requests;
  assert.ok(batched >= records.filter((record) => record.status === 'done').length + seconds.length, `${batched} batched requests`);
});
