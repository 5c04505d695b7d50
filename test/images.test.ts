import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as mupdf from 'mupdf';
import { parseManifest, type ManifestEntry, generateCorpus } from '../src/corpus/generate.ts';
import { bombPng } from '../src/corpus/image-files.ts';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.ts';
import type { EstimateReport } from '../src/main/commands/estimate.ts';
import { FINANCE_PROFILE } from '../src/main/profiles/finance.ts';
import { prepareFile } from '../src/workers/prepare.ts';
import { PROJECT_ROOT, runCli, startCli, UNLIMITED } from './helpers/cli.ts';
import { readManifest, readRecords, recordsByFile } from './helpers/run-fixture.ts';
import { tempDir } from './helpers/temp.ts';

/**
 * Photos and scans (issue 30): JPEG (on its side, with EXIF orientation), PNG, multi-page TIFF,
 * HEIC and WebP become upright PDF pages in the worker; Gemini reads the pages, the offline rules
 * read their OCR text; damaged images and decompression bombs are coded failures.
 */
const EXTRACTED = new Set(Object.keys(FINANCE_PROFILE.extract));
const FIXTURES = join(PROJECT_ROOT, 'test/fixtures/images');
const work = tempDir('images');
const mixed = join(work, 'mixed');
const OFFLINE = { GEMINI_API_KEY: '', GOOGLE_API_KEY: '' };
let manifest: ManifestEntry[];
let emulator: RunningEmulator;

before(async () => {
  await generateCorpus({ dir: mixed, count: 60, seed: 30, maxPages: 3, damagedRate: 0, scannedRate: 0.1, imageRate: 0.6 });
  // The HEIC and WebP documents are made once with Debian's encoders (scripts/image-fixtures.ts).
  const fixtures = parseManifest(readFileSync(join(FIXTURES, 'manifest.jsonl'), 'utf8'));
  for (const entry of fixtures) copyFileSync(join(FIXTURES, entry.file), join(mixed, entry.file));
  manifest = [...readManifest(mixed), ...fixtures];
  emulator = await startEmulator({ defaultLatency: { medianMs: 0, sigma: 0 }, latency: {} });
});
after(() => emulator?.close());

const kindOf = (entry: ManifestEntry) => (entry.file.endsWith('.pdf') ? (entry.scanned ? 'scanned pdf' : 'pdf') : entry.file.split('.').pop()!);

test('a mixed folder (PDFs, phone photos, PNGs, multi-page TIFFs, HEIC, WebP) through Gemini: one record a file, every class and field right', async () => {
  const kinds = new Set(manifest.map(kindOf));
  for (const kind of ['pdf', 'scanned pdf', 'jpg', 'png', 'tif', 'heic', 'webp']) assert.ok(kinds.has(kind), `the folder holds a ${kind}`);
  const out = join(work, 'gemini.jsonl');
  const args = ['run', mixed, '-o', out, '--db', join(work, 'gemini-db'), '--no-tui', '--base-url', emulator.url, ...UNLIMITED];
  const run = await runCli(args, { env: { GEMINI_API_KEY: 'test-key', GOOGLE_API_KEY: '' } });
  assert.equal(run.code, 0, run.stderr);
  const byFile = recordsByFile(readRecords(out), mixed);
  assert.equal(byFile.size, manifest.length, 'one record a file');
  for (const entry of manifest) {
    const record = byFile.get(entry.file)!;
    assert.equal(record.status, 'done', `${entry.file}: ${record.error?.message}`);
    assert.equal(record.class, entry.class, entry.file);
    assert.equal(record.pages, entry.pages, `${entry.file}: every TIFF frame a page`);
    if (EXTRACTED.has(entry.class)) assert.deepEqual(record.fields, entry.fields, `${entry.file} fields`);
  }
  // Every request carried PDF pages, never an image part: the cheaper form on every model (image-window.ts).
  const byModality = emulator.stats().promptTokensByModality;
  assert.equal(byModality.IMAGE ?? 0, 0, JSON.stringify(byModality));
  assert.ok((byModality.DOCUMENT ?? 0) > 0, JSON.stringify(byModality));
});

test('a phone photo lying on its side is sent upright, bounded in pixels, with its metadata', async () => {
  const photo = manifest.find((entry) => entry.image === 'jpeg')!;
  const prepared = await prepareFile({ path: join(mixed, photo.file), pageWindow: 5, maxFileBytes: 1e9, buildSubset: true });
  assert.equal(prepared.kind, 'prepared');
  if (prepared.kind !== 'prepared') return;
  assert.equal(prepared.format, 'jpeg');
  const raw = new mupdf.Image(readFileSync(join(mixed, photo.file)));
  assert.ok(raw.getWidth() > raw.getHeight(), 'the stored pixels are landscape');
  const doc = new mupdf.PDFDocument(prepared.subset);
  const [x0, y0, x1, y1] = doc.loadPage(0).getBounds();
  assert.ok(y1 - y0 > x1 - x0, 'the page sent is portrait, as the paper was');
  assert.ok(doc.getTrailer().get('Root').get('Metadata').isStream(), "the photo's XMP travels as the PDF's metadata");
});

test('offline, scans and photos are read by OCR: the rules answer nearly every one as they answer the same document with a text layer', async () => {
  // The same documents (same seed, same draws) as text PDFs: what the rules make of the text layer.
  const twin = join(work, 'twin');
  await generateCorpus({ dir: twin, count: 60, seed: 30, maxPages: 3, damagedRate: 0, scannedRate: 0 });
  const offline = async (dir: string, name: string) => {
    const out = join(work, `${name}.jsonl`);
    // The first page of each: it holds the totals and the title, and OCR takes ~0.5 s a page.
    const run = await runCli(['run', dir, '-o', out, '--db', join(work, `${name}-db`), '--pages', '1', '--no-tui'], { env: OFFLINE });
    assert.equal(run.code, 0, run.stderr);
    return recordsByFile(readRecords(out), dir);
  };
  const [pictures, texts] = [await offline(mixed, 'offline'), await offline(twin, 'offline-twin')];
  const read = manifest.filter((entry) => entry.image);
  let sameClass = 0;
  let totals = 0;
  let totalsFromText = 0;
  for (const entry of read) {
    const picture = pictures.get(entry.file)!;
    const text = texts.get(entry.file.replace(/\.\w+$/, '.pdf'))!;
    if (picture.class === text.class) sameClass++;
    const truth = entry.fields.total;
    if (typeof truth !== 'number' || text.fields?.total !== truth) continue;
    totalsFromText++;
    if (picture.fields?.total === truth) totals++;
  }
  process.stderr.write(
    `offline on ${read.length} images: class as from text ${sameClass}/${read.length}; total right ${totals} of the ${totalsFromText} the text layer gets right\n`,
  );
  assert.ok(read.length >= 12, `${read.length} images`);
  assert.ok(sameClass / read.length >= 0.9, `the class read from OCR text matches the text layer's for ${sameClass} of ${read.length}`);
  assert.ok(totalsFromText >= 4 && totals / totalsFromText >= 0.75, `total right from OCR for ${totals} of ${totalsFromText}`);
  // The HEIC and WebP documents too (they have no text twin): their class and total from OCR alone.
  for (const entry of manifest.filter((candidate) => /\.(heic|webp)$/.test(candidate.file))) {
    const record = pictures.get(entry.file)!;
    assert.deepEqual([record.class, record.fields?.total], [entry.class, entry.fields.total], entry.file);
  }
});

test('estimate counts a mixed folder by kind of file', async () => {
  const estimate = await runCli(['estimate', mixed, '--json']);
  assert.equal(estimate.code, 0, estimate.stderr);
  const report = JSON.parse(estimate.stdout) as EstimateReport;
  const expected: Record<string, number> = {};
  for (const entry of manifest) {
    const format = entry.image ?? (entry.file.endsWith('.heic') ? 'heic' : entry.file.endsWith('.webp') ? 'webp' : 'pdf');
    expected[format] = (expected[format] ?? 0) + 1;
  }
  assert.deepEqual(Object.fromEntries(Object.entries(report.byFormat).map(([format, kind]) => [format, kind.files])), expected);
});

test('damaged images and decompression bombs are coded failures, the run goes on, memory stays bounded', async () => {
  const dir = join(work, 'bad');
  mkdirSync(dir, { recursive: true });
  const good = ['jpeg', 'png', 'tiff'].map((kind) => manifest.find((entry) => entry.image === kind)!);
  for (const entry of good) copyFileSync(join(mixed, entry.file), join(dir, entry.file.replace('/', '-')));
  const photo = readFileSync(join(mixed, good[0]!.file));
  const heic = readFileSync(join(FIXTURES, 'receipt.heic'));
  const bad: Record<string, [Uint8Array, string]> = {
    'cut-short.jpg': [photo.subarray(0, photo.length / 2), 'IMAGE_CORRUPT'],
    'bomb.png': [bombPng(100_000, 100_000), 'IMAGE_TOO_LARGE'],
    'not-an-image.png': [Buffer.from('<html>403 Forbidden</html>'), 'IMAGE_CORRUPT'],
    'cut-short.heic': [heic.subarray(0, heic.length / 2), 'IMAGE_CORRUPT'],
    'garbage.webp': [Buffer.concat([Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1'), Buffer.alloc(64, 0)]), 'IMAGE_CORRUPT'],
  };
  for (const [file, [bytes]] of Object.entries(bad)) writeFileSync(join(dir, file), bytes);
  const out = join(work, 'bad.jsonl');
  const { child, result } = startCli(['run', dir, '-o', out, '--db', join(work, 'bad-db'), '--no-tui', '--workers', '2'], { env: OFFLINE });
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const done = await result;
  clearTimeout(timer);
  assert.equal(done.code, 1, `some files failed, so exit 1\n${done.stderr}`);
  assert.doesNotMatch(done.stderr, /Could not parse HEIF/, "the decoders' own chatter stays out of the terminal");
  const byFile = recordsByFile(readRecords(out), dir);
  assert.equal(byFile.size, readdirSync(dir).length);
  for (const [file, [, code]] of Object.entries(bad)) assert.equal(byFile.get(file)?.error?.code, code, `${file}: ${byFile.get(file)?.error?.message}`);
  for (const entry of good) assert.equal(byFile.get(entry.file.replace('/', '-'))?.status, 'done', entry.file);
  assert.match(byFile.get('bomb.png')!.error!.message, /100000 × 100000 pixels.*refused before decoding/);
});

test('the same scan under many names is read by OCR once: the copies are answered from the cache by their content', async () => {
  const dir = join(work, 'copies');
  mkdirSync(dir, { recursive: true });
  const scan = manifest.find((entry) => entry.image === 'png')!;
  for (let copy = 0; copy < 12; copy++) copyFileSync(join(mixed, scan.file), join(dir, `copy-${copy}.png`));
  const out = join(work, 'copies.jsonl');
  // One thread, one file at a time: each copy finds the first one's answer cached.
  const run = await runCli(['run', dir, '-o', out, '--db', join(work, 'copies-db'), '--no-tui', '--workers', '1', '--window', '1'], { env: OFFLINE });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /; 1 page read by OCR/);
  const classes = new Set(readRecords(out).map((record) => record.class));
  assert.deepEqual([...classes], [scan.class]);
});
