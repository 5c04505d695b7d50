import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { generatedAccuracy, percent, realCorpusAccuracy } from '../bench/offline-accuracy.ts';
import { generateCorpus } from '../src/corpus/generate.ts';
import { startEmulator } from '../src/emulator/server.ts';
import { parseAmount, parseDate } from '../src/offline/values.ts';
import { PROJECT_ROOT, runCli } from './helpers/cli.ts';
import { readManifest, readRecords } from './helpers/run-fixture.ts';
import { hasSharedCorpus, SHARED_CORPUS } from './helpers/shared-corpus.ts';
import { tempDir } from './helpers/temp.ts';

const atLeast = (rate: { correct: number; total: number }, floor: number, what: string) =>
  assert.ok(rate.total > 0 && rate.correct / rate.total >= floor, `${what}: ${percent(rate)} is below ${floor * 100}%`);

test(
  'on the real invoices and documents of ../shared/corpus the rules keep their measured accuracy',
  { skip: !hasSharedCorpus && 'shared corpus absent' },
  async () => {
    const accuracy = await realCorpusAccuracy(SHARED_CORPUS);
    assert.equal(accuracy.filesRead, 45, 'every file of the corpus is read without a crash');
    // Measured 2026-11-22: 27/28, 8/10, 8/10, 9/11. The floors sit one file below.
    atLeast(accuracy.invoiceLike, 0.92, 'invoice-like vs not');
    atLeast(accuracy.invoiceNumber, 0.7, 'invoice number exact');
    atLeast(accuracy.invoiceDate, 0.7, 'invoice date exact');
    atLeast(accuracy.total, 0.72, 'total exact');
  },
);

test('on a generated corpus: classes and invoice fields, and image-only files answered honestly', async () => {
  const dir = tempDir('offline-generated');
  await generateCorpus({ dir, count: 250, seed: 31, maxPages: 6, scannedRate: 0.15 });
  const accuracy = await generatedAccuracy(dir, readManifest(dir));
  atLeast(accuracy.label, 0.95, 'class');
  assert.equal(accuracy.scannedHonest.correct, accuracy.scannedHonest.total, 'image-only → other, confidence 0');
  atLeast(accuracy.invoiceNumber, 0.95, 'invoice number');
  atLeast(accuracy.invoiceDate, 0.95, 'invoice date');
  atLeast(accuracy.total, 0.95, 'total');
  atLeast(accuracy.vendorName, 0.95, 'vendor name');
});

test("the README's offline accuracy table on the real e-invoice PDFs in the repository is what docpool eval prints", async () => {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const block = /<!-- offline-eval -->\n```text\n\$ (docpool run .+)\n\$ (docpool eval .+)\n([^]*?)```/.exec(readme);
  assert.ok(block, 'the README shows the commands and the table');
  const work = tempDir('offline-eval');
  const words = (command: string) =>
    command
      .replace(/^docpool /, '')
      .replace('--db .docpool', `--db ${join(work, 'db')}`)
      .match(/'[^']*'|\S+/g)!
      .map((word) => word.replace(/^'|'$/g, ''));
  const run = await runCli([...words(block[1]!), '-o', join(work, 'out.jsonl')], { cwd: PROJECT_ROOT });
  assert.equal(run.code, 0, run.stderr);
  const printed = await runCli(words(block[2]!), { cwd: PROJECT_ROOT });
  assert.equal(printed.code, 0, printed.stderr);
  const rows = (text: string) => text.split('\n').filter((line) => /^vendor_invoice\./.test(line));
  assert.deepEqual(rows(block[3]!), rows(printed.stdout));
});

test('amounts and dates in the forms real invoices print them', () => {
  assert.equal(parseAmount('1.234,56 €'), 1234.56);
  assert.equal(parseAmount('$1,234.56'), 1234.56);
  assert.equal(parseAmount('1 234,56'), 1234.56);
  assert.equal(parseAmount('EUR 11,00'), 11);
  assert.equal(parseAmount('2.000,00'), 2000);
  assert.equal(parseAmount('-12.50'), -12.5);
  assert.equal(parseDate('2024-03-05'), '2024-03-05');
  assert.equal(parseDate('05.03.2024', 'de'), '2024-03-05');
  assert.equal(parseDate('26.10.22', 'de'), '2022-10-26');
  assert.equal(parseDate('13/11/2017', 'fr'), '2017-11-13');
  assert.equal(parseDate('11/03/2017', 'en'), '2017-11-03', 'English slashed dates are month first');
  assert.equal(parseDate('03/20/2023', 'fr'), '2023-03-20', 'a first part over 12 cannot be the day');
  assert.equal(parseDate('20-10-2015', 'en'), '2015-10-20');
  assert.equal(parseDate('August 3 , 2014'), '2014-08-03');
  assert.equal(parseDate('11. Juli 2014', 'de'), '2014-07-11');
  assert.equal(parseDate('13 novembre 2017', 'fr'), '2017-11-13');
  assert.equal(parseDate('not a date'), null);
});

test('with no key, run uses the offline provider with a notice; records say source offline', async () => {
  const corpus = tempDir('offline-run');
  // At most 3 pages: no file is looked at for several documents (the bundles' tests do that).
  await generateCorpus({ dir: corpus, count: 40, seed: 8, maxPages: 3, scannedRate: 0.2 });
  const work = tempDir('offline-run-out');
  const out = join(work, 'out.jsonl');
  // One page a file: the scans are read by OCR, and their first page says what they are.
  const result = await runCli(['run', corpus, '-o', out, '--db', join(work, 'db'), '--pages', '1', '--no-tui'], {
    env: { GEMINI_API_KEY: '', GOOGLE_API_KEY: '' },
  });
  assert.ok(result.code === 0 || result.code === 1, result.stderr);
  assert.match(result.stderr, /no GEMINI_API_KEY or GOOGLE_API_KEY set: using the offline rule-based provider/);
  const records = readRecords(out);
  const manifest = readManifest(corpus);
  assert.equal(records.length, manifest.length);
  let scans = 0;
  let scansRead = 0;
  for (const record of records.filter((candidate) => candidate.status === 'done')) {
    assert.equal(record.source, 'offline');
    const entry = manifest.find((candidate) => record.path.endsWith(candidate.file))!;
    if (!entry.scanned) assert.equal(record.class, entry.class);
    else {
      // Scans have no text layer: the rules read their OCR text (rules-v3; before it they answered `other`, confidence 0).
      scans++;
      if (record.class === entry.class) scansRead++;
    }
  }
  assert.ok(scans > 0 && scansRead / scans >= 0.75, `${scansRead} of ${scans} scans classed right from their OCR text`);
});

test('--fallback offline answers a file whose API calls failed for good, keeping the API error beside it', async () => {
  const emulator = await startEmulator({ defaultLatency: { medianMs: 0, sigma: 0 }, latency: {}, faultRates: { '503': 1 } });
  after(() => emulator.close());
  const corpus = tempDir('fallback');
  const source = tempDir('fallback-source');
  await generateCorpus({ dir: source, count: 12, seed: 4, maxPages: 2, damagedRate: 0, scannedRate: 0 });
  const invoice = readManifest(source).find((entry) => entry.class === 'vendor_invoice')!;
  copyFileSync(join(source, invoice.file), join(corpus, 'invoice.pdf'));
  const out = join(corpus, 'out.jsonl');
  const result = await runCli(
    [
      'run',
      corpus,
      '-o',
      out,
      '--db',
      join(corpus, 'db'),
      '--base-url',
      emulator.url,
      '--fallback',
      'offline',
      '--max-attempts',
      '2',
      '--retry-base-ms',
      '10',
      '--no-tui',
    ],
    { env: { GEMINI_API_KEY: 'k', GOOGLE_API_KEY: '' } },
  );
  assert.equal(result.code, 0, result.stderr);
  const [record] = readRecords(out);
  assert.equal(record?.status, 'done');
  assert.equal(record?.source, 'offline');
  assert.equal(record?.class, 'vendor_invoice');
  assert.equal(record?.fields?.invoice_number, invoice.fields.invoice_number);
  assert.equal(record?.apiError?.code, 'API_UNAVAILABLE');
});
