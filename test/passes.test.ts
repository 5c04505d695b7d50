import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateCorpus, type ManifestEntry } from '../src/corpus/generate.ts';
import { startEmulator } from '../src/emulator/server.ts';
import { FINANCE_PROFILE } from '../src/main/profiles/finance.ts';
import type { FileRecord } from '../src/main/state/record.ts';
import { runCli, UNLIMITED } from './helpers/cli.ts';
import { readManifest, readRecords } from './helpers/run-fixture.ts';
import { tempDir } from './helpers/temp.ts';

/**
 * `--passes`: one request per file gives the same answers as classify-then-extract, counted by the
 * emulator; `auto` asks the profile's secondPass classes again on the extraction model.
 */
const KEY = { GEMINI_API_KEY: 'test-key' };
const work = tempDir('passes');
const corpus = join(work, 'corpus');
let manifest: ManifestEntry[];

before(async () => {
  await generateCorpus({ dir: corpus, count: 50, seed: 16, maxPages: 3, damagedRate: 0 });
  manifest = readManifest(corpus);
});

async function emulator() {
  const running = await startEmulator({ defaultLatency: { medianMs: 0, sigma: 0 }, latency: {} });
  after(() => running.close());
  return running;
}

const run = (url: string, name: string, ...extra: string[]) =>
  runCli(['run', corpus, '-o', join(work, `${name}.jsonl`), '--db', join(work, `${name}-db`), '--base-url', url, '--no-tui', ...UNLIMITED, ...extra], {
    env: KEY,
  });
const answers = (records: FileRecord[]) => new Map(records.map((record) => [record.path, JSON.stringify({ class: record.class, fields: record.fields })]));

test('--passes 1 makes exactly one request per file, with the same answers as two passes', async () => {
  const server = await emulator();
  const two = await run(server.url, 'two');
  assert.equal(two.code, 0, two.stderr);
  const twoRequests = server.stats().requests.total;
  const extracted = readRecords(join(work, 'two.jsonl')).filter((record) => record.models.extract).length;
  assert.equal(twoRequests, manifest.length + extracted, 'two passes: a classification per file and an extraction per extract-class file');

  server.resetStats();
  const one = await run(server.url, 'one', '--passes', '1');
  assert.equal(one.code, 0, one.stderr);
  assert.equal(server.stats().requests.total, manifest.length, 'one request per file');
  assert.deepEqual(server.stats().requests.byModel, { 'gemini-3.5-flash-lite': manifest.length }, 'on the classification model');
  const oneRecords = readRecords(join(work, 'one.jsonl'));
  assert.deepEqual(answers(oneRecords), answers(readRecords(join(work, 'two.jsonl'))));
  assert.ok(oneRecords.every((record) => record.passes === 1 && !record.models.extract));
  assert.ok(readRecords(join(work, 'two.jsonl')).every((record) => record.passes === 2));
  const invoice = oneRecords.find((record) => record.class === 'vendor_invoice');
  assert.ok(invoice?.fields && typeof invoice.fields.invoice_number === 'string', 'fields of an extract class come with the class');
  assert.ok(
    oneRecords.filter((record) => !FINANCE_PROFILE.extract[record.class!]).every((record) => record.fields === null),
    'other classes carry no fields',
  );

  // The same command again: every answer from the cache (the stat cache: no file read), and the same records.
  server.resetStats();
  const again = await run(server.url, 'one', '--passes', '1');
  assert.equal(again.code, 0, again.stderr);
  assert.equal(server.stats().requests.total, 0);
  assert.match(again.stderr, /0 files read and hashed/);
  assert.deepEqual(answers(readRecords(join(work, 'one.jsonl'))), answers(oneRecords));
});

test('--passes auto asks the secondPass classes again on the extraction model, and only them', async () => {
  const server = await emulator();
  const profile = join(work, 'invoices-twice.json');
  writeFileSync(profile, JSON.stringify({ ...FINANCE_PROFILE, name: 'invoices-twice', secondPass: ['vendor_invoice'] }));
  const auto = await run(server.url, 'auto', '--passes', 'auto', '--profile', profile);
  assert.equal(auto.code, 0, auto.stderr);
  const records = readRecords(join(work, 'auto.jsonl'));
  const invoices = records.filter((record) => record.class === 'vendor_invoice');
  assert.ok(invoices.length > 0);
  assert.deepEqual(server.stats().requests.byModel, { 'gemini-3.5-flash-lite': manifest.length, 'gemini-3.8-flash': invoices.length });
  assert.ok(invoices.every((record) => record.passes === 2 && record.models.extract === 'gemini-3.8-flash'));
  assert.ok(records.filter((record) => record.class !== 'vendor_invoice').every((record) => record.passes === 1));

  const bad = join(work, 'bad-second.json');
  writeFileSync(bad, JSON.stringify({ ...FINANCE_PROFILE, name: 'bad', secondPass: ['contract'] }));
  const refused = await run(server.url, 'bad', '--passes', 'auto', '--profile', bad);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /secondPass: "contract" is not a class with an extraction schema/);
});

test('the offline rules answer one-pass too, the same as in two passes', async () => {
  // One page a file: the scans among them are read by OCR, and their first page says what they are.
  const offline = (name: string, ...extra: string[]) =>
    runCli(
      ['run', corpus, '-o', join(work, `${name}.jsonl`), '--db', join(work, `${name}-db`), '--provider', 'offline', '--pages', '1', '--no-tui', ...extra],
      {
        env: { GEMINI_API_KEY: '', GOOGLE_API_KEY: '' },
      },
    );
  assert.equal((await offline('offline-two')).code, 0);
  assert.equal((await offline('offline-one', '--passes', '1')).code, 0);
  assert.deepEqual(answers(readRecords(join(work, 'offline-one.jsonl'))), answers(readRecords(join(work, 'offline-two.jsonl'))));
});
