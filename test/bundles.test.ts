import assert from 'node:assert/strict';
import { linkSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as mupdf from 'mupdf';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type ManifestEntry, generateCorpus } from '../src/corpus/generate.ts';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.ts';
import type { EstimateReport } from '../src/main/commands/estimate.ts';
import type { EvalReport } from '../src/main/eval/evaluate.ts';
import { FINANCE_PROFILE } from '../src/main/profiles/finance.ts';
import type { FileRecord } from '../src/main/state/record.ts';
import { readBundleCues } from '../src/workers/split/page-cues.ts';
import { prepareFile } from '../src/workers/prepare.ts';
import { engineHeapBytes } from '../src/workers/pdf-window.ts';
import { doubleFlatePdf } from './helpers/hostile-pdf.ts';
import { runCli, startCli, UNLIMITED } from './helpers/cli.ts';
import { readManifest, readRecords, waitForLines } from './helpers/run-fixture.ts';
import { tempDir } from './helpers/temp.ts';

/**
 * Bundles (issue 31): one PDF holding several documents (receipts, invoices, an expense report and
 * its receipts; scanned or with text) is split, and each document answered on its own pages, with
 * its own record (`part`: `pages 3-5`), cache identity and resume state.
 */
const EXTRACTED = new Set(Object.keys(FINANCE_PROFILE.extract));
const work = tempDir('bundles');
const corpus = join(work, 'corpus');
const KEY = { GEMINI_API_KEY: 'test-key', GOOGLE_API_KEY: '' };
const OFFLINE = { GEMINI_API_KEY: '', GOOGLE_API_KEY: '' };
let manifest: ManifestEntry[];
let emulator: RunningEmulator;

before(async () => {
  await generateCorpus({ dir: corpus, count: 70, seed: 41, maxPages: 3, damagedRate: 0, scannedRate: 0, bundleRate: 0.9 });
  manifest = readManifest(corpus);
  emulator = await startEmulator({ defaultLatency: { medianMs: 0, sigma: 0 }, latency: {} });
});
after(() => emulator?.close());

const documentKey = (file: string, part: string | undefined) => `${file}#${part ?? ''}`;

/** Records by file and part, checking each document has exactly one. */
function byDocument(records: readonly FileRecord[]): Map<string, FileRecord> {
  const found = new Map<string, FileRecord>();
  for (const record of records) {
    const key = documentKey(record.path.slice(corpus.length + 1), record.part?.name);
    assert.ok(!found.has(key), `one record for ${key}`);
    found.set(key, record);
  }
  return found;
}

/** How many of the bundled documents have a record for exactly their pages. */
function rangesFound(records: Map<string, FileRecord>): { bundled: number; exact: number } {
  const bundled = manifest.filter((entry) => entry.part);
  return { bundled: bundled.length, exact: bundled.filter((entry) => records.has(documentKey(entry.file, entry.part))).length };
}

test('page cues: counters that start again, titles (read through OCR noise), new invoice numbers; sure only when every page is counted', () => {
  const counted = readBundleCues(['INVOICE\nPage 1 of 2', 'items\nPage 2 of 2', 'RECHNUNG\nSeite 1 von 1']);
  assert.deepEqual(counted, {
    ranges: [
      { from: 1, to: 2 },
      { from: 3, to: 3 },
    ],
    sure: true,
  });
  // Receipts carry no counter: each title starts a document, and nothing is sure.
  const receipts = readBundleCues(['Acme Ltd\nRECEIPT\nTotal 3.00', 'Kestrel SARL\nTICKET DE CAISSE\nTotal 4,00', 'Vireo AG\nKASSENBON\nSumme 5,00']);
  assert.deepEqual(receipts, {
    ranges: [
      { from: 1, to: 1 },
      { from: 2, to: 2 },
      { from: 3, to: 3 },
    ],
    sure: false,
  });
  // A scan's OCR: "IFVOITE" and "FAGCTURE" are titles, "Page 2 af 2" a counter.
  const scanned = readBundleCues(['Alpenglow Ltd\nIFVOITE\nPage 1af 2', 'lines\nPage 2 af 2', 'Blue Harbor SA\nFAGCTURE\nTotal']);
  assert.deepEqual(scanned.ranges, [
    { from: 1, to: 2 },
    { from: 3, to: 3 },
  ]);
  // An invoice's later page without a counter continues it; a new invoice number starts another.
  const numbers = readBundleCues(['INVOICE\nInvoice No: INV-1001', 'more items', 'Invoice No: INV-1002\nitems']);
  assert.deepEqual(numbers.ranges, [
    { from: 1, to: 2 },
    { from: 3, to: 3 },
  ]);
  // A page the counter claims for the document before it is not a new one, title or not.
  assert.deepEqual(readBundleCues(['STATEMENT\nPage 1 of 2', 'STATEMENT\nPage 2 of 2']).ranges, [{ from: 1, to: 2 }]);
});

test('bundles through Gemini: every document found on exactly its pages and answered with its own fields; a re-run asks nothing', async () => {
  const bundles = new Set(manifest.filter((entry) => entry.part).map((entry) => entry.file));
  assert.ok(bundles.size >= 6, `${bundles.size} bundles`);
  assert.ok(
    manifest.some((entry) => entry.part && entry.scanned),
    'some bundles are scanned',
  );
  const scannedBundled = manifest.filter((entry) => entry.part && entry.scanned).length;
  const scannedBundles = new Set(manifest.filter((entry) => entry.part && entry.scanned).map((entry) => entry.file)).size;
  const out = join(work, 'gemini.jsonl');
  const db = join(work, 'gemini-db');
  const args = ['run', corpus, '-o', out, '--db', db, '--no-tui', '--base-url', emulator.url, ...UNLIMITED];
  const run = await runCli(args, { env: KEY });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, new RegExp(`${manifest.length} documents in \\d+ files`));
  assert.match(run.stderr, new RegExp(`split +${bundles.size} files held several documents`));
  const records = byDocument(readRecords(out));
  assert.equal(records.size, manifest.length, 'one record a document');
  const { bundled, exact } = rangesFound(records);
  process.stderr.write(`through the emulator: ranges exact for ${exact} of ${bundled} documents in ${bundles.size} bundles; ${manifest.length} documents\n`);
  assert.ok(exact >= 0.95 * bundled, `ranges exact for ${exact} of ${bundled} documents`);
  for (const entry of manifest) {
    const record = records.get(documentKey(entry.file, entry.part));
    if (!record) continue;
    assert.equal(record.status, 'done', `${entry.file} ${entry.part}: ${record.error?.message}`);
    assert.equal(record.class, entry.class, `${entry.file} ${entry.part ?? ''}`);
    if (EXTRACTED.has(entry.class)) assert.deepEqual(record.fields, entry.fields, `${entry.file} ${entry.part ?? ''} fields`);
  }
  const requests = emulator.stats().requests.total;
  const again = await runCli(args, { env: KEY });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(emulator.stats().requests.total, requests, 'no request on the re-run');
  assert.equal(byDocument(readRecords(out)).size, manifest.length);
  // The CSV and the estimate name the documents.
  const csv = await runCli(['export', '--db', db, '-o', join(work, 'out.csv')]);
  assert.equal(csv.code, 0, csv.stderr);
  assert.match(readFileSync(join(work, 'out.csv'), 'utf8'), /,pages \d+-\d+,/);
  // `docpool eval` finds each document's label by its file and part, and scores every one right.
  const scored = await runCli(['eval', '--db', db, '--truth', join(corpus, 'manifest.jsonl'), '--json']);
  assert.equal(scored.code, 0, scored.stderr);
  const evaluation = JSON.parse(scored.stdout) as EvalReport;
  assert.equal(evaluation.matched, manifest.length, `${evaluation.unmatched} labels without a record`);
  for (const score of evaluation.classes) assert.equal(score.correct, score.support, `${score.class}: ${score.correct} of ${score.support}`);
  const estimate = JSON.parse((await runCli(['estimate', corpus, '--json'])).stdout) as EstimateReport;
  assert.ok(estimate.split.files > 0 && estimate.split.requests > 0, JSON.stringify(estimate.split));
  assert.equal(
    estimate.files,
    manifest.length - scannedBundled + scannedBundles,
    'the estimate counts the documents its page cues find (a scan needs the model)',
  );
});

test('offline, the page cues find the documents of text and scanned bundles (OCR of each page head and foot)', async () => {
  // Every text bundle and the shortest scanned one: OCR takes ~1–2 s a page, and one scan shows what OCR's cues do.
  const pagesOf = (file: string) => manifest.filter((entry) => entry.file === file).reduce((sum, entry) => sum + entry.pages, 0);
  const bundles = [...new Set(manifest.filter((entry) => entry.part).map((entry) => entry.file))];
  const scannedBundle = bundles.filter((file) => manifest.some((entry) => entry.file === file && entry.scanned)).sort((a, b) => pagesOf(a) - pagesOf(b))[0]!;
  const chosen = bundles.filter((file) => file === scannedBundle || !manifest.some((entry) => entry.file === file && entry.scanned));
  const folder = join(work, 'offline-bundles');
  mkdirSync(join(folder, 'batch-000'), { recursive: true });
  for (const file of chosen) linkSync(join(corpus, file), join(folder, file));
  const out = join(work, 'offline.jsonl');
  const run = await runCli(['run', folder, '-o', out, '--db', join(work, 'offline-db'), '--no-tui', '--pages', '1'], { env: OFFLINE });
  assert.equal(run.code, 0, run.stderr);
  const records = new Map(readRecords(out).map((record) => [documentKey(record.path.slice(folder.length + 1), record.part?.name), record]));
  const bundled = manifest.filter((entry) => chosen.includes(entry.file));
  const exact = bundled.filter((entry) => records.has(documentKey(entry.file, entry.part))).length;
  const scanned = bundled.filter((entry) => entry.scanned);
  const scannedExact = scanned.filter((entry) => records.has(documentKey(entry.file, entry.part))).length;
  process.stderr.write(`offline cues: ranges exact for ${exact} of ${bundled.length} documents (${scannedExact} of ${scanned.length} scanned)\n`);
  assert.ok(scanned.length > 0, 'a scanned bundle is among them');
  assert.ok(exact >= 0.8 * bundled.length, `ranges exact for ${exact} of ${bundled.length} documents`);
});

test('a file of one document at or below the page threshold costs the same requests with --split auto as with --split off', async () => {
  const plain = join(work, 'plain');
  await generateCorpus({ dir: plain, count: 30, seed: 43, maxPages: 3, damagedRate: 0, scannedRate: 0.2 });
  const requestsFor = async (split: string) => {
    const before = emulator.stats().requests.total;
    const args = ['run', plain, '-o', join(work, `plain-${split}.jsonl`), '--db', join(work, `plain-${split}-db`), '--no-tui', '--base-url', emulator.url];
    const run = await runCli([...args, '--split', split, ...UNLIMITED], { env: KEY });
    assert.equal(run.code, 0, run.stderr);
    return emulator.stats().requests.total - before;
  };
  const off = await requestsFor('off');
  assert.equal(await requestsFor('auto'), off, `${off} requests with --split off`);
});

test('a run killed in the middle of a bundle answers each of its documents once when run again', async () => {
  const slow = await startEmulator({ defaultLatency: { medianMs: 300, sigma: 0 }, latency: {} });
  after(() => slow.close());
  const out = join(work, 'killed.jsonl');
  const args = ['run', corpus, '-o', out, '--db', join(work, 'killed-db'), '--no-tui', '--base-url', slow.url, '--passes', '1', '--window', '4', ...UNLIMITED];
  const { child, result } = startCli(args, { env: KEY });
  await waitForLines(`${out}.partial`, 8);
  child.kill('SIGKILL');
  await result;
  const first = slow.stats().requests.total;
  const again = await runCli(args, { env: KEY });
  assert.equal(again.code, 0, again.stderr);
  const records = byDocument(readRecords(out));
  assert.equal(records.size, manifest.length, 'every document once');
  // Requests: one a document and one a split asked, at most, beside what the killed run had in flight.
  const splits = new Set(manifest.filter((entry) => entry.part).map((entry) => entry.file)).size;
  assert.ok(slow.stats().requests.total <= manifest.length + splits + (first - 8), `${slow.stats().requests.total} requests for ${manifest.length} documents`);
  assert.match(again.stderr, /carried over from the last attempt/);
});

test('a bundle whose split could not be asked yet fails whole and retryably; answered as documents in the next attempt, it leaves no line for the whole file', async () => {
  // A text bundle of receipts: no page counters, so the model is asked where its documents are.
  const bundle = manifest.find((entry) => entry.part && !entry.scanned && entry.class === 'receipt')!.file;
  const folder = join(work, 'retried');
  mkdirSync(folder, { recursive: true });
  linkSync(join(corpus, bundle), join(folder, 'bundle.pdf'));
  const failing = await startEmulator({ defaultLatency: { medianMs: 0, sigma: 0 }, latency: {}, faultRates: { '500': 1 } });
  after(() => failing.close());
  const out = join(work, 'retried.jsonl');
  const args = (url: string) => [
    'run',
    folder,
    '-o',
    out,
    '--db',
    join(work, 'retried-db'),
    '--no-tui',
    '--base-url',
    url,
    '--max-attempts',
    '1',
    ...UNLIMITED,
  ];
  const first = await runCli(args(failing.url), { env: KEY });
  assert.equal(first.code, 1, first.stderr);
  const [whole, ...others] = readRecords(out);
  assert.equal(others.length, 0, 'one record: the file, not documents drawn from the page cues alone');
  assert.equal(whole!.part, undefined);
  assert.equal(whole!.error?.retryable, true, whole!.error?.message);
  assert.match(whole!.error!.message, /finding the documents in its pages/);
  const second = await runCli(args(emulator.url), { env: KEY });
  assert.equal(second.code, 0, second.stderr);
  const records = readRecords(out);
  const expected = manifest.filter((entry) => entry.file === bundle);
  assert.deepEqual(
    records.map((record) => record.part?.name).sort(),
    expected.map((entry) => entry.part).sort(),
    'a line per document, none for the whole file',
  );
  assert.ok(records.every((record) => record.status === 'done'));
});

test('a file looked at for several documents whose last page is a decompression bomb is not inflated: its pages stay unread, with a warning', async () => {
  // Five small pages, then a 300 MB bomb of a page: the cues would read the last page first ("Page N of N").
  const bomb = new mupdf.PDFDocument(await doubleFlatePdf(300));
  const pdf = new mupdf.PDFDocument();
  const resources = pdf.addObject({ Font: { F1: pdf.addSimpleFont(new mupdf.Font('Helvetica'), 'Latin') } });
  for (let page = 1; page <= 5; page++) pdf.insertPage(-1, pdf.addPage([0, 0, 595, 842], 0, resources, `BT /F1 12 Tf 72 700 Td (RECEIPT ${page}) Tj ET`));
  pdf.newGraftMap().graftPage(-1, bomb, 0);
  const path = join(work, 'last-page-bomb.pdf');
  writeFileSync(path, pdf.saveToBuffer('').asUint8Array());
  const heapBefore = engineHeapBytes();
  const prepared = await prepareFile({ path, pageWindow: 1, maxFileBytes: 10_000_000, buildSubset: false, split: { minPages: 3 } });
  assert.equal(prepared.kind, 'prepared');
  assert.equal(prepared.kind === 'prepared' && prepared.bundle, undefined);
  assert.match(prepared.kind === 'prepared' ? prepared.warnings.join('; ') : '', /not looked at for several documents/);
  assert.ok(engineHeapBytes() - heapBefore < 64 * 1024 * 1024, `MuPDF's heap grew ${Math.round((engineHeapBytes() - heapBefore) / 1e6)} MB`);
});
