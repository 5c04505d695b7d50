import assert from 'node:assert/strict';
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
  assert.deepEqual(results.slice(1).map((result) => result.kind), Array(6).fill('prepared'));
});

test('submission is bounded: the pool never holds more than a small multiple of its threads', async () => {
  const pool = new PreparePool({ workers: 2, queuePerWorker: 2 });
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
  assert.ok(peak <= 6, `peak in pool was ${peak}, capacity is 2 threads × (1 + 2)`);
});
