import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateCorpus, type ManifestEntry } from '../src/corpus/generate.ts';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.ts';
import type { EvalReport } from '../src/main/eval/evaluate.ts';
import { runCli, UNLIMITED } from './helpers/cli.ts';
import { readManifest } from './helpers/run-fixture.ts';
import { tempDir } from './helpers/temp.ts';

/** `docpool eval` and `docpool sample` (issue 29): accuracy a user can measure on a run's own documents. */
const KEY = { GEMINI_API_KEY: 'test-key', GOOGLE_API_KEY: '' };
const work = tempDir('eval');
const corpus = join(work, 'corpus');
const db = join(work, 'db');
let emulator: RunningEmulator;
let manifest: ManifestEntry[];

before(async () => {
  emulator = await startEmulator({ defaultLatency: { medianMs: 0, sigma: 0 }, latency: {} });
  await generateCorpus({ dir: corpus, count: 80, seed: 29, maxPages: 2, damagedRate: 0.05 });
  manifest = readManifest(corpus);
  const run = await runCli(['run', corpus, '-o', join(work, 'out.jsonl'), '--db', db, '--no-tui', '--base-url', emulator.url, '--passes', '1', ...UNLIMITED], {
    env: KEY,
  });
  assert.ok(run.code === 0 || run.code === 1, run.stderr);
});
after(() => emulator?.close());

const evalJson = async (...args: string[]) => {
  const run = await runCli(['eval', '--db', db, '--json', ...args]);
  return { code: run.code, stderr: run.stderr, report: JSON.parse(run.stdout || 'null') as EvalReport };
};

test('eval scores a run against labels: per-field accuracy as counted by hand, planted wrong labels caught, formats normalised, damaged files failing', async () => {
  const invoices = manifest.filter((entry) => entry.class === 'vendor_invoice' && entry.damaged === null);
  assert.ok(invoices.length >= 8, `${invoices.length} intact invoices`);
  const [wrong1, wrong2, wrong3, formatted] = invoices;
  const labels = manifest.map((entry) => {
    const fields = { ...(entry.fields as Record<string, unknown>) };
    if (entry === wrong1 || entry === wrong2 || entry === wrong3) fields.total = (fields.total as number) + 10; // the answers will not match
    if (entry === formatted) {
      const [year, month, day] = (fields.invoice_date as string).split('-');
      fields.invoice_date = `${day}.${month}.${year}`; // a person's spelling of the same date
      fields.vendor_name = `  ${(fields.vendor_name as string).toUpperCase()} `;
    }
    return JSON.stringify({ file: entry.file, class: entry.class, fields });
  });
  writeFileSync(join(corpus, 'labels.jsonl'), `${labels.join('\n')}\n`);
  const { code, report } = await evalJson('--truth', join(corpus, 'labels.jsonl'));
  assert.equal(code, 0);
  assert.equal(report.matched, manifest.length);
  const field = (name: string) => report.fields.find((score) => score.field === name)!;
  // Every labelled invoice counts: a damaged one has no answer, so its fields are empty.
  const labelled = manifest.filter((entry) => entry.class === 'vendor_invoice').length;
  const total = field('vendor_invoice.total');
  assert.deepEqual([total.labelled, total.wrong, total.empty, total.normalised], [labelled, 3, labelled - invoices.length, invoices.length - 3]);
  assert.equal(total.accuracy, (invoices.length - 3) / labelled);
  const date = field('vendor_invoice.invoice_date');
  assert.deepEqual([date.exact, date.normalised], [invoices.length - 1, invoices.length], 'DD.MM.YYYY is the same date');
  assert.equal(field('vendor_invoice.vendor_name').normalised, invoices.length, 'case and spacing do not make a name wrong');
  // A damaged file has no answer: its class row says so, and its labelled fields count as empty.
  const damaged = manifest.filter((entry) => entry.damaged !== null);
  assert.ok(damaged.length > 0);
  const failedAnswers = Object.values(report.confusion).reduce((sum, row) => sum + (row['(failed)'] ?? 0), 0);
  assert.equal(failedAnswers, damaged.length);
  const invoiceClass = report.classes.find((score) => score.class === 'vendor_invoice')!;
  assert.equal(invoiceClass.precision, 1);
  assert.equal(invoiceClass.recall, invoices.length / labelled);
  assert.ok(report.bySource.gemini && report.costPerCorrectField! > 0);

  const text = await runCli(['eval', '--db', db, '--truth', join(corpus, 'labels.jsonl')]);
  assert.match(
    text.stdout,
    new RegExp(
      `vendor_invoice\\.total\\s+${labelled}\\s+${invoices.length - 3}\\s+${invoices.length - 3}\\s+${labelled - invoices.length}\\s+3\\s+${((100 * (invoices.length - 3)) / labelled).toFixed(1)} %`,
    ),
  );
  const below = await runCli(['eval', '--db', db, '--truth', join(corpus, 'labels.jsonl'), '--min-accuracy', 'vendor_invoice.total=0.99,receipt.total=0.5']);
  assert.equal(below.code, 1);
  assert.match(below.stderr, /vendor_invoice\.total: [\d.]+ % of \d+, below 99\.0 %/);
  assert.doesNotMatch(below.stderr, /receipt/);
  assert.equal((await runCli(['eval', '--db', db, '--truth', join(corpus, 'labels.jsonl'), '--min-accuracy', 'total=0.5'])).code, 0);
  const typo = await runCli(['eval', '--db', db, '--truth', join(corpus, 'labels.jsonl'), '--min-accuracy', 'totl=0.5']);
  assert.equal(typo.code, 1, 'a floor on a field never scored does not pass');
  const bad = await runCli(['eval', '--db', db, '--truth', join(corpus, 'labels.jsonl'), '--min-accuracy', 'total=95%']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--min-accuracy: expected field=share pairs/);

  const html = join(work, 'report.html');
  assert.equal((await runCli(['report', '--db', db, '-o', html, '--truth', join(corpus, 'labels.jsonl')])).code, 0);
  assert.match(readFileSync(html, 'utf8'), /Accuracy against labels/);
});

test('sample draws a stratified labelling template with the answers filled in; unchanged, it scores every field right', async () => {
  const labels = join(work, 'labels.csv');
  const sampled = await runCli(['sample', '12', '-o', labels, '--db', db]);
  assert.equal(sampled.code, 0, sampled.stderr);
  const [header, ...rows] = readFileSync(labels, 'utf8').trim().split('\r\n');
  assert.equal(rows.length, 12);
  assert.match(header!, /^path,part,sha256,class,pages,source,stratum,field_invoice_number,/);
  const classes = new Set(rows.map((row) => row.split(',')[3]));
  assert.ok(classes.size >= 5, `the sample spans the classes: ${[...classes].join(', ')}`);
  const again = await runCli(['sample', '12', '-o', join(work, 'again.csv'), '--db', db]);
  assert.equal(again.code, 0);
  assert.equal(readFileSync(join(work, 'again.csv'), 'utf8'), readFileSync(labels, 'utf8'), 'the same state gives the same sample');
  const { report } = await evalJson('--truth', labels);
  assert.equal(report.matched, 12);
  assert.ok(report.fields.length > 0);
  for (const score of report.fields) assert.equal(score.exact, score.labelled, `${score.field}: the template's own answers, read back exactly`);
});
