import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as mupdf from 'mupdf';
import { generateCorpus, type ManifestEntry, parseManifest } from '../src/corpus/generate.ts';
import { PreparePool } from '../src/main/pipeline/prepare-pool.ts';
import type { PrepareTask } from '../src/workers/protocol.ts';
import { readFileSync } from 'node:fs';
import { tempDir } from './helpers/temp.ts';

// Lets the worker honour the task's `fault` field; workers inherit the environment at start.
process.env.DOCPOOL_FAULT_INJECTION = '1';

const dir = tempDir('pool');
let intact: ManifestEntry[];
const task = (path: string, extra: Partial<PrepareTask> = {}): PrepareTask => ({
  path,
  pageWindow: 3,
  maxFileBytes: 50 * 1024 * 1024,
  buildSubset: true,
  ...extra,
});

before(async () => {
  await generateCorpus({ dir, count: 40, seed: 5, maxPages: 12, damagedRate: 0 });
  intact = parseManifest(readFileSync(join(dir, 'manifest.jsonl'), 'utf8'));
});

test('the subset PDF is moved out of the worker, not copied, and holds the first N pages', async () => {
  const pool = new PreparePool({ workers: 1 });
  after(() => pool.close());
  const entry = intact.find((candidate) => candidate.pages >= 4)!;
  const result = await pool.prepare(task(join(dir, entry.file)));
  assert.equal(result.kind, 'prepared');
  assert.ok(result.kind === 'prepared');
  assert.equal(result.pageCount, entry.pages);
  assert.equal(result.windowPages, 3);
  assert.ok(result.subset.byteLength > 0);
  // The worker's own copy of the buffer is detached once transferred.
  assert.equal(await pool.runDiagnostic('lastMovedByteLength'), 0);
  const subset = mupdf.Document.openDocument(result.subset, 'application/pdf');
  assert.equal(subset.countPages(), 3);
  assert.match(subset.getMetaData('info:DocpoolTruth') ?? '', new RegExp(entry.class), 'metadata travels with the subset');
});

test('a hung task times out, its worker is replaced, and the next file still succeeds', async () => {
  // The deadline runs from submission, so it also covers a replacement worker's start-up
  // (loader + WASM init, over a second on a loaded 2-core machine): keep it well above that.
  const pool = new PreparePool({ workers: 1, taskTimeoutMs: 4000 });
  after(() => pool.close());
  const path = join(dir, intact[0]!.file);
  const hung = await pool.prepare(task(path, { fault: 'hang' }));
  assert.equal(hung.kind, 'failed');
  assert.equal(hung.kind === 'failed' && hung.code, 'PDF_TIMEOUT');
  const next = await pool.prepare(task(path));
  assert.equal(next.kind, 'prepared');
  assert.equal(pool.stats().timeouts, 1);
});

test('a crashing worker becomes one failed file, never a failed run', async () => {
  const pool = new PreparePool({ workers: 2 });
  after(() => pool.close());
  const results = await Promise.all([
    pool.prepare(task(join(dir, intact[1]!.file), { fault: 'crash' })),
    ...intact.slice(2, 8).map((entry) => pool.prepare(task(join(dir, entry.file)))),
  ]);
  assert.equal(results[0]!.kind === 'failed' && results[0]!.code, 'WORKER_CRASHED');
  assert.deepEqual(
    results.slice(1).map((result) => result.kind),
    Array(6).fill('prepared'),
  );
});

test('submission is bounded: the pool holds one task per thread, the rest wait outside it', async () => {
  const pool = new PreparePool({ workers: 2 });
  after(() => pool.close());
  let peak = 0;
  const all = intact.map(async (entry) => {
    const pending = pool.prepare(task(join(dir, entry.file)));
    peak = Math.max(peak, pool.stats().inPool);
    return pending;
  });
  const results = await Promise.all(all);
  assert.equal(results.length, intact.length);
  assert.ok(results.every((result) => result.kind === 'prepared'));
  assert.ok(peak <= 2, `peak in pool was ${peak}, capacity is one task per thread`);
});

test("a task's deadline runs from when a thread is free for it: a quick file queued behind two hung ones is prepared", async () => {
  const pool = new PreparePool({ workers: 2, taskTimeoutMs: 3000 });
  after(() => pool.close());
  const path = join(dir, intact[0]!.file);
  const [first, second, quick] = await Promise.all([
    pool.prepare(task(path, { fault: 'hang' })),
    pool.prepare(task(path, { fault: 'hang' })),
    pool.prepare(task(path)),
  ]);
  assert.deepEqual([first.kind === 'failed' && first.code, second.kind === 'failed' && second.code], ['PDF_TIMEOUT', 'PDF_TIMEOUT']);
  assert.equal(quick.kind, 'prepared', quick.kind === 'failed' ? quick.message : '');
});

test('a named pipe swapped in for a file is refused at once, never left blocking its thread in open()', async () => {
  const fifo = join(dir, 'swapped.pdf');
  execFileSync('mkfifo', [fifo]);
  const pool = new PreparePool({ workers: 1, taskTimeoutMs: 20_000 });
  after(() => pool.close());
  const started = performance.now();
  const result = await pool.prepare(task(fifo));
  assert.deepEqual([result.kind, result.kind === 'failed' && result.code], ['failed', 'FILE_UNREADABLE']);
  assert.ok(performance.now() - started < 10_000, 'refused, not timed out');
});
