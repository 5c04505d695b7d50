import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open as openLmdb } from 'lmdb';
import { after, before, test } from 'node:test';
import { hostname } from 'node:os';
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { emlWith, zipOf } from '../src/corpus/container-files.ts';
import { ciiInvoiceXml } from '../src/corpus/einvoice-xml.ts';
import { generateCorpus, type ManifestEntry } from '../src/corpus/generate.ts';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.ts';
import { FINANCE_PROFILE } from '../src/main/profiles/finance.ts';
import { QUEUE_PROTOCOL, workersKey } from '../src/main/queue/file-job.ts';
import type { WorkerHeartbeat } from '../src/main/queue/queue-worker.ts';
import { runCli, startCli } from './helpers/cli.ts';
import { withAttachment } from './helpers/factur-x.ts';
import { hasRedisServer, type RedisServer, startRedis } from './helpers/redis.ts';
import { readManifest, readRecords, recordsByFile, waitForLines } from './helpers/run-fixture.ts';
import { tempDir } from './helpers/temp.ts';

const skip = hasRedisServer() ? false : 'redis-server is not installed (Debian package redis-server; .ci/run installs it)';
const EXTRACTED = new Set(Object.keys(FINANCE_PROFILE.extract));
const KEY = { GEMINI_API_KEY: 'test-key', GOOGLE_API_KEY: '' };
const WINDOW_MS = 1000;
/** The run's quota, per 1 s window: low enough that three workers together would pass it unshared. */
const QUOTA = { flash: 120, pro: 60 };
const corpus = tempDir('queue-corpus');
let manifest: ManifestEntry[];
let redis: RedisServer;

before(async () => {
  if (skip) return;
  await generateCorpus({ dir: corpus, count: 1000, seed: 18, maxPages: 3, damagedRate: 0.03 });
  manifest = readManifest(corpus);
  redis = await startRedis();
});
after(() => redis?.stop());

/** An emulator holding Google's tier-shaped quota at QUOTA per WINDOW_MS, with answers taking ~100–200 ms. */
async function quotaEmulator(): Promise<RunningEmulator> {
  const emulator = await startEmulator({
    timeScale: WINDOW_MS / 60_000,
    latency: { 'gemini-3.5-flash-lite': { medianMs: 6000, sigma: 0.3 }, 'gemini-3.8-flash': { medianMs: 12_000, sigma: 0.3 } },
    quota: { 'gemini-3.5-flash-lite': { rpm: QUOTA.flash }, 'gemini-3.8-flash': { rpm: QUOTA.pro } },
    acceptedKeys: ['test-key'],
  });
  after(() => emulator.close());
  return emulator;
}

/** The coordinator's command line; `folders`: only these of the corpus's batch folders. */
function coordinatorArgs(emulator: RunningEmulator, work: string, queue: string, extra: string[] = [], folders?: readonly string[]): string[] {
  const quota = ['--rpm', `gemini-3.5-flash-lite=${QUOTA.flash},gemini-3.8-flash=${QUOTA.pro}`, '--quota-window-ms', String(WINDOW_MS)];
  const inputs = folders ? folders.map((folder) => join(corpus, folder)) : [corpus];
  return [
    'run',
    ...inputs,
    '-o',
    join(work, 'out.jsonl'),
    '--db',
    join(work, 'db'),
    '--base-url',
    emulator.url,
    '--queue',
    redis.url,
    '--queue-name',
    queue,
    '--no-local',
    '--no-tui',
    ...quota,
    ...extra,
  ];
}

/**
 * A worker process with one thread. `lockMs`: how soon a killed worker's jobs go to another; short
 * for the kill test, but not so short that a live worker on this busy 2-core machine misses renewing
 * its claim (its jobs would be handed out twice).
 */
function startWorker(queue: string, lockMs = 30_000) {
  return startCli(['worker', '--queue', redis.url, '--queue-name', queue, '--workers', '1', '--lock-ms', String(lockMs)], { env: KEY });
}

const inFolders = (folders: readonly string[]) => manifest.filter((entry) => folders.some((folder) => entry.file.startsWith(`${folder}/`)));

/** Every intact file has its true class and fields; damaged ones their code; one line each. */
function assertComplete(out: string, entries = manifest): void {
  const byFile = recordsByFile(readRecords(out), corpus);
  assert.equal(byFile.size, entries.length, 'one line per file, no duplicate');
  for (const entry of entries) {
    const record = byFile.get(entry.file)!;
    assert.ok(record, `${entry.file} has a line`);
    if (entry.damaged) {
      assert.equal(record.error?.code, entry.damaged, entry.file);
      continue;
    }
    assert.equal(record.status, 'done', `${entry.file}: ${record.error?.code} ${record.error?.message}`);
    assert.equal(record.class, entry.class, entry.file);
    if (EXTRACTED.has(entry.class)) assert.deepEqual(record.fields, entry.fields, `${entry.file} fields`);
  }
}

/** The most requests any sliding window of the emulator's accepted ticks held. */
function busiestWindow(ticks: readonly number[], perWindow: number): number {
  let most = 0;
  for (let start = 0; start < ticks.length; start++)
    most = Math.max(
      most,
      ticks.slice(start, start + perWindow).reduce((sum, count) => sum + count, 0),
    );
  return most;
}

test(
  'three workers on one global quota answer all 1,000 files; one SIGKILLed mid-run loses nothing and repeats no more than it held',
  { skip, timeout: 240_000 },
  async (t) => {
    const emulator = await quotaEmulator();
    const work = tempDir('queue-three');
    const workers = [startWorker('three', 3000), startWorker('three', 3000), startWorker('three', 3000)];
    const run = startCli(coordinatorArgs(emulator, work, 'three', ['--passes', '1']), { env: KEY });
    // Kill one worker once it has answered 100 files, and count what it held: the active jobs
    // BullMQ records as taken by it (they stay so until their claims run out, 3 s later).
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue('three', { connection, prefix: 'docpool' });
    after(async () => {
      await queue.close();
      connection.disconnect();
    });
    const victim = `${hostname()}:${workers[0]!.child.pid}`;
    let heldAtKill = -1;
    for (const deadline = Date.now() + 90_000; Date.now() < deadline && heldAtKill < 0;) {
      const beat = await connection.hget(workersKey('three'), victim);
      if (beat && (JSON.parse(beat) as WorkerHeartbeat).done >= 100) {
        workers[0]!.child.kill('SIGKILL');
        heldAtKill = (await queue.getActive()).filter((job) => job?.processedBy === victim).length;
      } else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(heldAtKill > 0, `a worker was killed with files in hand (${heldAtKill})`);
    const result = await run.result;
    for (const worker of workers.slice(1)) worker.child.kill('SIGTERM');
    await Promise.all(workers.map((worker) => worker.result));
    assert.equal(result.code, 1, `damaged files fail, so exit 1\n${result.stderr}`);
    assertComplete(join(work, 'out.jsonl'));

    const stats = emulator.stats();
    const intact = manifest.filter((entry) => !entry.damaged).length;
    const answered = stats.requests.byStatus['200'] ?? 0;
    const refused = stats.requests.byStatus['429'] ?? 0;
    const perWindow = Math.round(WINDOW_MS / stats.tickMs);
    const busiest = busiestWindow(stats.acceptedPerTick['gemini-3.5-flash-lite'] ?? [], perWindow);
    t.diagnostic(
      `answered ${answered} for ${intact} intact files (killed worker held ~${heldAtKill}); 429s ${refused} of ${stats.requests.total}; busiest 1 s window ${busiest} of ${QUOTA.flash}`,
    );
    assert.ok(busiest <= QUOTA.flash, `a window held ${busiest} accepted requests, quota ${QUOTA.flash}`);
    assert.ok(refused <= stats.requests.total * 0.01, `429s ${refused} of ${stats.requests.total}`);
    // One request per file (one pass); the killed worker's files were asked again by another.
    assert.ok(answered >= intact, 'every intact file was asked');
    assert.ok(answered - intact <= heldAtKill, `repeated calls ${answered - intact}, held ${heldAtKill}`);
  },
);

test(
  'the coordinator SIGKILLed mid-run: the same command again re-attaches to the queue, completes the output, and nothing is asked twice',
  { skip, timeout: 240_000 },
  async () => {
    const emulator = await quotaEmulator();
    const work = tempDir('queue-coordinator');
    const workers = [startWorker('again'), startWorker('again')];
    const out = join(work, 'out.jsonl');
    const folders = ['batch-000', 'batch-001', 'batch-002', 'batch-003'];
    const first = startCli(coordinatorArgs(emulator, work, 'again', [], folders), { env: KEY });
    await waitForLines(`${out}.partial`, 100, 120_000);
    first.child.kill('SIGKILL');
    await first.result;
    const second = await runCli(coordinatorArgs(emulator, work, 'again', [], folders), { env: KEY });
    for (const worker of workers) worker.child.kill('SIGTERM');
    await Promise.all(workers.map((worker) => worker.result));
    assert.ok(second.code === 0 || second.code === 1, `the re-run ends normally (exit ${second.code})\n${second.stderr}`);
    assertComplete(out, inFolders(folders));
    // Answers that came while no coordinator listened were kept in the queue and collected: each file
    // was answered once (a request the quota refused, a 429, is not an answer and is counted apart).
    const intact = inFolders(folders).filter((entry) => !entry.damaged);
    const stats = emulator.stats();
    const answeredBy = (model: string) => stats.byModelTier[model]?.standard?.requests ?? 0;
    assert.equal(answeredBy('gemini-3.5-flash-lite'), intact.length, 'one classification per intact file, over both runs');
    assert.equal(answeredBy('gemini-3.8-flash'), intact.filter((entry) => EXTRACTED.has(entry.class)).length, 'one extraction per extract-class file');
    assert.ok((stats.requests.byStatus['429'] ?? 0) <= stats.requests.total * 0.01, `429s: ${JSON.stringify(stats.requests.byStatus)}`);
  },
);

test(
  'Redis killed and restarted mid-run, its queue lost: coordinator and workers say so, reconnect, and every file is answered',
  { skip, timeout: 240_000 },
  async () => {
    const emulator = await quotaEmulator();
    const work = tempDir('queue-restart');
    const workers = [startWorker('restart'), startWorker('restart')];
    const out = join(work, 'out.jsonl');
    const folders = ['batch-000', 'batch-001'];
    const run = startCli(coordinatorArgs(emulator, work, 'restart', [], folders), { env: KEY });
    await waitForLines(`${out}.partial`, 20, 120_000);
    await redis.restart();
    const result = await run.result;
    for (const worker of workers) worker.child.kill('SIGTERM');
    const stopped = await Promise.all(workers.map((worker) => worker.result));
    assert.ok(result.code === 0 || result.code === 1, `the run ends normally (exit ${result.code})\n${result.stderr}`);
    assert.match(result.stderr, /Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable/, 'the coordinator says Redis went away');
    assert.match(result.stderr, /Redis at redis:\/\/127\.0\.0\.1:\d+ is back/, 'and that it came back');
    assert.doesNotMatch(result.stderr, /internal error|at .+\.ts:\d+/, 'no stack trace');
    for (const worker of stopped) assert.doesNotMatch(worker.stderr, /internal error|at .+\.ts:\d+/, `a worker printed no stack trace:\n${worker.stderr}`);
    assertComplete(out, inFolders(folders));
  },
);

test('a Redis that refuses the password stops run --queue and docpool worker at once with exit 3, naming no password', { skip, timeout: 60_000 }, async () => {
  const guarded = await startRedis(['--requirepass', 'right-pw']);
  after(() => guarded.stop());
  const wrong = guarded.url.replace('redis://', 'redis://:wr0ng-pw@');
  const missing = guarded.url;
  const limit = (started: ReturnType<typeof startCli>) => {
    const timer = setTimeout(() => started.child.kill('SIGKILL'), 30_000);
    return started.result.finally(() => clearTimeout(timer));
  };
  const run = await limit(
    startCli(['run', corpus, '-o', join(corpus, '..', 'refused.jsonl'), '--db', join(corpus, '..', 'refused-db'), '--no-tui', '--queue', wrong], { env: KEY }),
  );
  assert.equal(run.code, 3, run.stderr);
  assert.match(run.stderr, /--queue: Redis at redis:\/\/127\.0\.0\.1:\d+ refused the credentials \(WRONGPASS\): check the user and password/);
  for (const url of [wrong, missing]) {
    const worker = await limit(startCli(['worker', '--queue', url], { env: KEY }));
    assert.equal(worker.code, 3, worker.stderr);
    assert.match(worker.stderr, /refused the credentials \((WRONGPASS|NOAUTH)\)/);
    assert.doesNotMatch(worker.stderr + run.stderr, /wr0ng-pw|internal error/);
  }
});

test(
  'a worker that sends a malformed answer, or one of another docpool version, is named; neither is cached, and the file is asked again',
  { skip, timeout: 180_000 },
  async () => {
    const emulator = await quotaEmulator();
    const work = tempDir('queue-poison');
    const folder = 'batch-000';
    const entries = inFolders([folder])
      .filter((entry) => !entry.damaged)
      .slice(0, 30);
    const files = join(work, 'files');
    mkdirSync(files, { recursive: true });
    for (const entry of entries) copyFileSync(join(corpus, entry.file), join(files, entry.file.replace('/', '-')));
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    after(() => connection.disconnect());
    // Takes the first two jobs and answers them wrongly; leaves every later one to a real worker.
    let taken = 0;
    const poisoned: Array<{ protocol: number; sha256: string }> = [];
    const evil = new Worker(
      'poison',
      async (job: Job<{ sha256: string }>) => {
        if (++taken > 2) throw new Error('this worker is leaving');
        const result = {
          step: 'classify',
          source: 'gemini',
          model: 'gemini-3.5-flash-lite',
          label: 'vendor_invoicZ',
          confidence: 1,
          usage: { input: 1, output: 1, thinking: 0, costUsd: 0 },
          at: Date.now(),
        };
        const protocol = taken === 1 ? QUEUE_PROTOCOL : 99;
        poisoned.push({ protocol, sha256: job.data.sha256 });
        return {
          kind: 'answered',
          protocol,
          sha256: job.data.sha256,
          bytes: 1,
          pages: 1,
          answer: { ok: true, first: { ok: true, result, cached: false }, passes: 2, spentBefore: result.usage },
          fresh: { [`${job.data.sha256}:classify:made-up`]: result },
        };
      },
      { connection, prefix: 'docpool', name: 'evil-worker', concurrency: 1 },
    );
    after(() => evil.close(true));
    const run = startCli(
      coordinatorArgs(emulator, work, 'poison').map((arg) => (arg === corpus ? files : arg)),
      { env: KEY },
    );
    for (const deadline = Date.now() + 60_000; taken < 2 && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 50));
    await evil.close();
    const honest = startWorker('poison');
    const ended = await run.result;
    honest.child.kill('SIGINT');
    await honest.result;
    assert.equal(ended.code, 0, ended.stderr.slice(-2000));
    assert.deepEqual(
      poisoned.map((answer) => answer.protocol),
      [QUEUE_PROTOCOL, 99],
    );
    assert.match(
      ended.stderr,
      /worker evil-worker sent an answer for .* this docpool cannot use \(its answer: its class "vendor_invoicZ"|it answers a step these settings never ask/,
    );
    assert.match(
      ended.stderr,
      new RegExp(`worker evil-worker sent an answer for .* this docpool cannot use \\(it speaks queue protocol 99, this docpool ${QUEUE_PROTOCOL}`),
    );
    const records = readRecords(join(work, 'out.jsonl'));
    assert.equal(records.length, entries.length);
    assert.equal(records.filter((record) => record.status === 'done').length, entries.filter((entry) => !entry.damaged).length);
    assert.equal(records.filter((record) => record.class === 'vendor_invoicZ').length, 0, 'no poisoned answer reached a record');
    const state = openLmdb({ path: join(work, 'db'), noSubdir: false, maxDbs: 8, compression: false, readOnly: true });
    const results = state.openDB<{ label?: string }, string>({ name: 'results' });
    const cached = [...results.getRange({})];
    await state.close();
    assert.ok(cached.length > 0);
    assert.equal(
      cached.filter(({ key, value }) => value.label === 'vendor_invoicZ' || String(key).endsWith(':made-up')).length,
      0,
      'no poisoned answer was cached',
    );
  },
);

test(
  'through the queue, e-invoices are answered from their XML, a broken one says why the model answered, and an XML file that is no e-invoice is skipped',
  { skip, timeout: 120_000 },
  async () => {
    const emulator = await quotaEmulator();
    const work = tempDir('queue-einvoice');
    const files = join(work, 'files');
    mkdirSync(files, { recursive: true });
    const [first, second] = manifest.filter((entry) => entry.class === 'vendor_invoice' && !entry.damaged && !entry.scanned);
    writeFileSync(join(files, 'factur-x.pdf'), withAttachment(join(corpus, first!.file), ciiInvoiceXml(first!.fields)));
    const noTotal = ciiInvoiceXml(second!.fields).replace(/<ram:GrandTotalAmount>[^<]*<\/ram:GrandTotalAmount>/, '');
    writeFileSync(join(files, 'broken-x.pdf'), withAttachment(join(corpus, second!.file), noTotal));
    writeFileSync(join(files, 'standalone.xml'), ciiInvoiceXml(first!.fields));
    writeFileSync(join(files, 'pom.xml'), '<?xml version="1.0"?><project><name>pom</name></project>');
    const worker = startWorker('einvoice');
    const run = await runCli(
      coordinatorArgs(emulator, work, 'einvoice').map((arg) => (arg === corpus ? files : arg)),
      { env: KEY },
    );
    worker.child.kill('SIGTERM');
    await worker.result;
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    const byName = new Map(readRecords(join(work, 'out.jsonl')).map((record) => [record.path.slice(files.length + 1), record]));
    const seen = (name: string) => [byName.get(name)?.status, byName.get(name)?.source ?? byName.get(name)?.error?.code];
    assert.deepEqual(['factur-x.pdf', 'broken-x.pdf', 'standalone.xml', 'pom.xml'].map(seen), [
      ['done', 'e-invoice'],
      ['done', 'gemini'],
      ['done', 'e-invoice'],
      ['skipped', 'NOT_AN_EINVOICE'],
    ]);
    assert.match(byName.get('broken-x.pdf')!.eInvoice?.problem ?? '', /BT-112/, 'the record says why the XML was not used');
    assert.deepEqual(byName.get('factur-x.pdf')!.fields, first!.fields);
  },
);

test('through the queue, a second opinion a worker asked for a failed check is accepted, committed and kept', { skip, timeout: 120_000 }, async () => {
  const emulator = await startEmulator({ defaultLatency: { medianMs: 0, sigma: 0 }, latency: {}, misread: { rate: 0.3 }, acceptedKeys: ['test-key'] });
  after(() => emulator.close());
  const work = tempDir('queue-second');
  const files = join(work, 'files');
  mkdirSync(files, { recursive: true });
  const entries = inFolders(['batch-001']).filter((entry) => !entry.damaged && EXTRACTED.has(entry.class));
  for (const entry of entries) copyFileSync(join(corpus, entry.file), join(files, entry.file.replace('/', '-')));
  const worker = startWorker('second');
  const args = coordinatorArgs(emulator, work, 'second', ['--passes', 'auto']).map((arg) => (arg === corpus ? files : arg));
  const run = await runCli(args, { env: KEY });
  worker.child.kill('SIGTERM');
  await worker.result;
  assert.equal(run.code, 0, run.stderr.slice(-2000));
  assert.doesNotMatch(run.stderr, /cannot use/, 'no worker answer was refused');
  const records = readRecords(join(work, 'out.jsonl'));
  const seconds = records.filter((record) => record.secondOpinion);
  assert.ok(seconds.length > 0, 'second opinions were asked');
  assert.ok(
    seconds.some((record) => record.secondOpinion!.kept === 'second'),
    JSON.stringify(seconds.map((record) => record.secondOpinion)),
  );
});

test(
  'through the queue, each document attached to a mail or packed in a ZIP is a job of its own, answered by a worker and recorded with its part',
  { skip, timeout: 120_000 },
  async () => {
    const emulator = await quotaEmulator();
    const work = tempDir('queue-parts');
    const files = join(work, 'files');
    mkdirSync(files, { recursive: true });
    const [first, second, third] = manifest.filter((entry) => EXTRACTED.has(entry.class) && !entry.damaged && !entry.scanned);
    const attach = (entry: ManifestEntry, name: string) => ({ name, data: readFileSync(join(corpus, entry.file)) });
    writeFileSync(join(files, 'mail.eml'), emlWith('invoices', 'attached', [attach(first!, 'a.pdf'), attach(second!, 'b.pdf')], new Date(0)));
    writeFileSync(join(files, 'export.zip'), zipOf([attach(third!, 'docs/c.pdf'), { name: 'notes.txt', data: Buffer.from('no document') }]));
    const worker = startWorker('parts');
    const run = await runCli(
      coordinatorArgs(emulator, work, 'parts').map((arg) => (arg === corpus ? files : arg)),
      { env: KEY },
    );
    worker.child.kill('SIGTERM');
    await worker.result;
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    const byPart = new Map(readRecords(join(work, 'out.jsonl')).map((record) => [`${record.path.slice(files.length + 1)}#${record.part?.name}`, record]));
    assert.deepEqual([...byPart.keys()].sort(), ['export.zip#docs/c.pdf', 'export.zip#notes.txt', 'mail.eml#a.pdf', 'mail.eml#b.pdf']);
    for (const [key, entry] of [
      ['mail.eml#a.pdf', first],
      ['mail.eml#b.pdf', second],
      ['export.zip#docs/c.pdf', third],
    ] as const) {
      const record = byPart.get(key)!;
      assert.deepEqual([record.status, record.source, record.class], ['done', 'gemini', entry!.class], key);
      assert.deepEqual(record.fields, entry!.fields, key);
    }
    assert.equal(byPart.get('export.zip#notes.txt')!.error?.code, 'PART_NOT_READ');
  },
);

test(
  'through the queue, a bundle is split by a worker and each of its documents is a job of its own, recorded with its pages',
  { skip, timeout: 120_000 },
  async () => {
    const emulator = await quotaEmulator();
    const work = tempDir('queue-bundles');
    const files = join(work, 'files');
    await generateCorpus({ dir: files, count: 40, seed: 19, maxPages: 3, damagedRate: 0, scannedRate: 0, bundleRate: 1 });
    const bundled = readManifest(files);
    assert.ok(bundled.filter((entry) => entry.part).length >= 8, 'most documents are in bundles');
    const worker = startWorker('bundles');
    const run = await runCli(
      coordinatorArgs(emulator, work, 'bundles').map((arg) => (arg === corpus ? files : arg)),
      { env: KEY },
    );
    worker.child.kill('SIGTERM');
    await worker.result;
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    assert.match(run.stderr, /split +\d+ files? held several documents/);
    const byDocument = new Map(
      readRecords(join(work, 'out.jsonl')).map((record) => [`${record.path.slice(files.length + 1)}#${record.part?.name ?? ''}`, record]),
    );
    assert.equal(byDocument.size, bundled.length, 'one record a document');
    for (const entry of bundled) {
      const record = byDocument.get(`${entry.file}#${entry.part ?? ''}`);
      assert.ok(record, `${entry.file} ${entry.part ?? ''} found on exactly its pages`);
      assert.deepEqual([record.status, record.class], ['done', entry.class], `${entry.file} ${entry.part ?? ''}`);
      if (EXTRACTED.has(entry.class)) assert.deepEqual(record.fields, entry.fields, `${entry.file} ${entry.part ?? ''}`);
    }
  },
);
