import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import ExcelJS from 'exceljs';
import * as mupdf from 'mupdf';
import { measureChecks } from '../bench/checked-answers.ts';
import { generateCorpus, type ManifestEntry } from '../src/corpus/generate.ts';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.ts';
import type { CheckSpec } from '../src/main/checks/check-spec.ts';
import { runChecks } from '../src/main/checks/run-checks.ts';
import { FINANCE_PROFILE } from '../src/main/profiles/finance.ts';
import type { Profile } from '../src/main/profiles/profile.ts';
import { XlsxSink } from '../src/main/output/xlsx-sink.ts';
import type { FileRecord } from '../src/main/state/record.ts';
import { runCli, UNLIMITED } from './helpers/cli.ts';
import { readManifest, readRecords } from './helpers/run-fixture.ts';
import { tempDir } from './helpers/temp.ts';

/**
 * Checked answers (issue 28): the finance rules on every record, duplicates across the state
 * folder, a review queue, and a second opinion only for an answer that fails a check.
 */
const KEY = { GEMINI_API_KEY: 'test-key', GOOGLE_API_KEY: '' };
const work = tempDir('checked');
let emulator: RunningEmulator;

before(async () => {
  emulator = await startEmulator({ defaultLatency: { medianMs: 0, sigma: 0 }, latency: {}, misread: { rate: 0.05 } });
});
after(() => emulator?.close());

const requests = async () => emulator.stats().requests.byMethod.generateContent ?? 0;

test('each built-in check holds or fails as a finance team would judge it, within the stated rounding', () => {
  const verdicts = (specs: CheckSpec[], fields: Record<string, unknown>) => runChecks(specs, fields, new Date('2026-12-07')).map((check) => check.ok);
  const sum: CheckSpec = { rule: 'sum', terms: ['subtotal', 'tax'], total: 'total' };
  assert.deepEqual(verdicts([sum], { subtotal: 100, tax: 19, total: 119.02 }), [true], 'two amounts: two cents of rounding');
  assert.deepEqual(verdicts([sum], { subtotal: 100, tax: 19, total: 191 }), [false], 'swapped digits');
  assert.deepEqual(verdicts([sum], { subtotal: 100, tax: null, total: 119 }), [], 'a check whose inputs are absent does not apply');
  const lines: CheckSpec = { rule: 'lines-sum', lines: 'items', amount: 'amount', total: 'subtotal' };
  assert.deepEqual(verdicts([lines], { items: [{ amount: 10.5 }, { amount: 20 }], subtotal: 30.5 }), [true]);
  assert.deepEqual(verdicts([lines], { items: [{ amount: 10.5 }], subtotal: 30.5 }), [false], 'a dropped line');
  const product: CheckSpec = { rule: 'line-product', lines: 'items', quantity: 'q', unitPrice: 'p', amount: 'amount' };
  assert.deepEqual(verdicts([product], { items: [{ q: 3, p: 0.33, amount: 1.0 }] }), [true], 'a unit price rounded to the cent');
  assert.deepEqual(verdicts([product], { items: [{ q: 3, p: 12.5, amount: 35.7 }] }), [false]);
  const dates: CheckSpec = { rule: 'date', fields: ['d'] };
  assert.deepEqual(
    ['2025-02-28', '2025-02-30', '1989-12-31', '2028-06-01', '2027-06-01', '28.02.2025'].map((d) => verdicts([dates], { d })[0]),
    [true, false, false, false, true, false],
  );
  const order: CheckSpec = { rule: 'date-order', earlier: 'issued', later: 'due', maxDays: 180 };
  assert.deepEqual(verdicts([order], { issued: '2025-03-01', due: '2025-03-31' }), [true]);
  assert.deepEqual(verdicts([order], { issued: '2025-03-01', due: '2025-02-27' }), [false], 'due before issue');
  assert.deepEqual(verdicts([order], { issued: '2024-03-01', due: '2025-03-31' }), [false], 'a year misread: 395 days of terms');
  const codes: CheckSpec[] = [
    { rule: 'currency', field: 'c' },
    { rule: 'iban', field: 'i' },
    { rule: 'vat-id', field: 'v' },
  ];
  assert.deepEqual(verdicts(codes, { c: 'EUR', i: 'DE89 3704 0044 0532 0130 00', v: 'DE136695976' }), [true, true, true]);
  assert.deepEqual(verdicts(codes, { c: 'EUX', i: 'DE89 3704 0044 0532 0130 01', v: 'DE136695977' }), [false, false, false]);
  assert.deepEqual(verdicts(codes, { c: 'eur', v: 'US123456789' }), [false], 'a lower-case code is not ISO 4217; a US id is not judged');
  assert.deepEqual(verdicts([{ rule: 'required', fields: ['a', 'b'] }], { a: 'x', b: ' ' }), [false]);
  assert.deepEqual(verdicts([{ rule: 'not-above', field: 'tax', limit: 'total' }], { tax: 12, total: 10 }), [false]);
});

test('a custom profile whose check names a field its class does not have is refused, naming it', async () => {
  const checks = { vendor_invoice: [{ rule: 'sum', terms: ['subtotal', 'nope'], total: 'total' }] };
  writeFileSync(join(work, 'profile.json'), JSON.stringify({ ...FINANCE_PROFILE, name: 'custom', checks }));
  mkdirSync(join(work, 'empty'), { recursive: true });
  const run = await runCli(['run', join(work, 'empty'), '--provider', 'offline', '--db', join(work, 'empty-db'), '--profile', join(work, 'profile.json')]);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /--profile .*profile\.json: checks\.vendor_invoice\.0: "nope" is not a field of vendor_invoice's schema/);
});

test('with the emulator misreading 5 % of answers: the checks flag the misreads they can see and almost no correct answer; second opinions recover most', async (t) => {
  const corpus = join(work, 'misread');
  await generateCorpus({ dir: corpus, count: 2000, seed: 28, maxPages: 2, damagedRate: 0 });
  const measured = tempDir('checked-measure');
  const figures = await measureChecks(corpus, measured, emulator.url, requests);
  const share = (part: number, whole: number) => part / Math.max(1, whole);
  const said = JSON.stringify(figures);
  t.diagnostic(said);
  assert.ok(figures.misread >= 40, `the emulator misread enough answers to measure: ${said}`);
  assert.ok(share(figures.relatedFlagged, figures.relatedMisread) >= 0.9, `>= 90 % of arithmetic and date misreads flagged: ${said}`);
  assert.ok(share(figures.correctFlagged, figures.correct) <= 0.02, `<= 2 % of correct answers flagged: ${said}`);
  assert.ok(share(figures.recovered, figures.flaggedMisread) >= 0.8, `second opinions recover >= 80 % of flagged misreads: ${said}`);
  assert.ok(figures.secondOpinions >= figures.flaggedMisread && figures.secondOpinions <= figures.flaggedMisread + figures.correctFlagged, said);
  assert.ok(figures.extraUsd > 0 && figures.extraUsd < 0.2 * figures.firstRunUsd, `second opinions are priced, and cost a fraction: ${said}`);
  // Another run over the same files (another include: another run, the same stat cache) reads every answer, second opinions too, from the cache.
  const before = await requests();
  const args = [
    'run',
    corpus,
    '--include',
    '**/*.pdf',
    '-o',
    join(measured, 'third.jsonl'),
    '--db',
    join(measured, 'db'),
    '--no-tui',
    '--base-url',
    emulator.url,
  ];
  const third = await runCli([...args, '--passes', '1', '--escalate', ...UNLIMITED], { env: KEY });
  assert.equal(third.code, 0, third.stderr);
  assert.equal((await requests()) - before, 0, 'no request');
  assert.match(third.stderr, /0 files read and hashed/);
  const fieldsOf = (file: string) => new Map(readRecords(join(measured, file)).map((record) => [record.path, JSON.stringify(record.fields)]));
  assert.deepEqual(fieldsOf('third.jsonl'), fieldsOf('second.jsonl'));
});

/** The same invoice re-sent as another file: re-saved with another producer, so other bytes, same content. */
function resaved(source: string, target: string): void {
  const doc = mupdf.Document.openDocument(readFileSync(source), 'application/pdf').asPDF()!;
  doc.setMetaData('info:Producer', 'a second scan');
  const saved = doc.saveToBuffer('compress');
  writeFileSync(target, saved.asUint8Array());
  saved.destroy();
  doc.destroy();
}

test('20 planted duplicate invoices (other files, same vendor, number and total) are flagged exactly, in one run and across runs of the state folder', async () => {
  const originals = join(work, 'dup-originals');
  const copies = join(work, 'dup-copies');
  await generateCorpus({ dir: originals, count: 150, seed: 91, maxPages: 1, damagedRate: 0 });
  const invoices = readManifest(originals).filter((entry: ManifestEntry) => entry.class === 'vendor_invoice' && !entry.scanned);
  assert.ok(invoices.length >= 20, `${invoices.length} invoices`);
  mkdirSync(copies, { recursive: true });
  const planted = invoices.slice(0, 20);
  planted.forEach((entry, index) => resaved(join(originals, entry.file), join(copies, `copy-${index}.pdf`)));
  // A byte-identical copy is the same content: one answer, not a duplicate invoice.
  copyFileSync(join(originals, invoices[20]!.file), join(copies, 'same-bytes.pdf'));
  const args = (out: string, db: string, ...inputs: string[]) => [
    'run',
    ...inputs,
    '-o',
    out,
    '--db',
    db,
    '--no-tui',
    '--base-url',
    emulator.url,
    '--no-escalate',
    ...UNLIMITED,
  ];
  const flaggedIn = (out: string) => readRecords(out).filter((record) => record.checks?.some((check) => check.rule === 'duplicate'));

  const together = await runCli(args(join(work, 'dup-one.jsonl'), join(work, 'dup-one-db'), originals, copies), { env: KEY });
  assert.ok(together.code === 0, together.stderr);
  const once = flaggedIn(join(work, 'dup-one.jsonl'));
  assert.equal(once.length, 20, once.map((record) => record.path).join('\n'));
  for (const record of once) {
    assert.equal(record.review, true);
    assert.match(record.reviewReasons!.join(' '), /DUPLICATE_INVOICE: same vendor, invoice number and total as /);
    const pair = [record.path, record.duplicateOf!].map((path) => path.replace(/^.*\//, ''));
    assert.ok(pair.some((name) => name.startsWith('copy-')) && pair.some((name) => name.startsWith('doc-')), pair.join(' / '));
  }

  const db = join(work, 'dup-two-db');
  assert.equal((await runCli(args(join(work, 'dup-first.jsonl'), db, originals), { env: KEY })).code, 0);
  assert.equal(flaggedIn(join(work, 'dup-first.jsonl')).length, 0, 'no duplicate among the originals');
  for (const attempt of [1, 2]) {
    const later = await runCli(args(join(work, 'dup-later.jsonl'), db, copies), { env: KEY });
    assert.equal(later.code, 0, later.stderr);
    const flagged = flaggedIn(join(work, 'dup-later.jsonl'));
    assert.equal(flagged.length, 20, `run ${attempt} on the copies`);
    assert.ok(
      flagged.every((record) => record.duplicateOf!.startsWith(originals)),
      'each names the original, from the earlier run',
    );
  }

  // The review queue lists exactly the flagged records; the workbook holds every answer by class.
  const review = await runCli(['review', '--db', db, '-o', join(work, 'review.csv')]);
  assert.equal(review.code, 0, review.stderr);
  const listed = readFileSync(join(work, 'review.csv'), 'utf8').trim().split('\r\n').slice(1);
  const expected = readRecords(join(work, 'dup-later.jsonl')).filter((record) => record.review);
  assert.deepEqual(listed.map((line) => line.split(',')[0]).sort(), expected.map((record) => record.path).sort());

  const workbook = join(work, 'results.xlsx');
  const exported = await runCli(['run', copies, '-o', workbook, '--db', db, '--no-tui', '--base-url', emulator.url, '--no-escalate', ...UNLIMITED], {
    env: KEY,
  });
  assert.equal(exported.code, 0, exported.stderr);
  const book = new ExcelJS.Workbook();
  await book.xlsx.readFile(workbook);
  const records = readRecords(join(work, 'dup-later.jsonl'));
  const rows = (name: string) => {
    const sheet = book.getWorksheet(name);
    assert.ok(sheet, `a ${name} sheet`);
    const values: unknown[][] = [];
    sheet.eachRow((row, number) => number > 1 && values.push((row.values as unknown[]).slice(1)));
    return values;
  };
  const invoiceRows = rows('vendor_invoice');
  const invoiceRecords = records.filter((record) => record.class === 'vendor_invoice');
  assert.deepEqual(invoiceRows.map((row) => row[0]).sort(), invoiceRecords.map((record) => record.path).sort());
  const header = (book.getWorksheet('vendor_invoice')!.getRow(1).values as unknown[]).slice(1);
  const totalColumn = header.indexOf('total');
  for (const record of invoiceRecords) assert.equal(invoiceRows.find((row) => row[0] === record.path)![totalColumn], record.fields!.total, record.path);
  assert.deepEqual(
    rows('Review')
      .map((row) => row[0])
      .sort(),
    expected.map((record) => record.path).sort(),
  );
});

test('the workbook names every sheet apart, even two long class names that share their first 31 characters', async () => {
  const long = (suffix: string) => `supplier_invoice_from_the_region_${suffix}`;
  const profile = {
    ...FINANCE_PROFILE,
    extract: {
      [long('north')]: FINANCE_PROFILE.extract.vendor_invoice!,
      [long('south')]: FINANCE_PROFILE.extract.vendor_invoice!,
    },
  } as unknown as Profile;
  const path = join(work, 'long-names.xlsx');
  const sink = new XlsxSink(path, profile);
  const record = (label: string, name: string): FileRecord => ({
    path: join(work, name),
    sha256: null,
    bytes: 1,
    pages: 1,
    status: 'done',
    class: label,
    confidence: 1,
    fields: { total: 1 },
    source: 'gemini',
    cached: false,
    models: {},
    usage: { input: 0, output: 0, thinking: 0, costUsd: 0 },
    error: null,
    ms: 1,
  });
  await sink.write(record(long('north'), 'a.pdf'));
  await sink.write(record(long('south'), 'b.pdf'));
  await sink.close();
  const book = new ExcelJS.Workbook();
  await book.xlsx.readFile(path);
  const names = book.worksheets.map((sheet) => sheet.name);
  assert.equal(new Set(names).size, 2, names.join(', '));
  assert.ok(names.every((name) => name.length <= 31));
});
