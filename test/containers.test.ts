import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { emlWith, zipOf } from '../src/corpus/container-files.ts';
import { type ManifestEntry, generateCorpus } from '../src/corpus/generate.ts';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.ts';
import type { EstimateReport } from '../src/main/commands/estimate.ts';
import { FINANCE_PROFILE } from '../src/main/profiles/finance.ts';
import type { FileRecord } from '../src/main/state/record.ts';
import { runCli, startCli, UNLIMITED } from './helpers/cli.ts';
import { readManifest, readRecords, waitForLines } from './helpers/run-fixture.ts';
import { tempDir } from './helpers/temp.ts';

/**
 * Mails and archives (issue 30): every document attached to an .eml or .msg, or packed in a ZIP,
 * is a document of its own (`path` the file, `part` the attachment), with its own cache entry,
 * record and resume state; hostile archives and mails are coded failures.
 */
const EXTRACTED = new Set(Object.keys(FINANCE_PROFILE.extract));
const work = tempDir('containers');
const corpus = join(work, 'corpus');
const KEY = { GEMINI_API_KEY: 'test-key', GOOGLE_API_KEY: '' };
const OFFLINE = { GEMINI_API_KEY: '', GOOGLE_API_KEY: '' };
let manifest: ManifestEntry[];
let emulator: RunningEmulator;

before(async () => {
  await generateCorpus({ dir: corpus, count: 30, seed: 31, maxPages: 3, damagedRate: 0, scannedRate: 0, imageRate: 0.3, containerRate: 0.6 });
  manifest = readManifest(corpus);
  emulator = await startEmulator({ defaultLatency: { medianMs: 0, sigma: 0 }, latency: {} });
});
after(() => emulator?.close());

/** Records by `file` or `file#part name`, checking each document has exactly one. */
function byDocument(records: readonly FileRecord[], root: string): Map<string, FileRecord> {
  const found = new Map<string, FileRecord>();
  for (const record of records) {
    const key = `${record.path.slice(root.length + 1)}${record.part ? `#${record.part.name}` : ''}`;
    assert.ok(!found.has(key), `one record for ${key}`);
    found.set(key, record);
  }
  return found;
}

const documentKey = (entry: ManifestEntry) => `${entry.file}${entry.part ? `#${entry.part}` : ''}`;

test('mails (.eml, .msg) and ZIP exports through Gemini: a record a document inside, with its part; every class and field right', async () => {
  const kinds = new Set(manifest.filter((entry) => entry.part).map((entry) => entry.file.split('.').pop()));
  assert.deepEqual([...kinds].sort(), ['eml', 'msg', 'zip'], 'the corpus packs documents in all three');
  const out = join(work, 'gemini.jsonl');
  const args = ['run', corpus, '-o', out, '--db', join(work, 'gemini-db'), '--no-tui', '--base-url', emulator.url, ...UNLIMITED];
  const run = await runCli(args, { env: KEY });
  assert.equal(run.code, 0, run.stderr);
  const records = byDocument(readRecords(out), corpus);
  assert.equal(records.size, manifest.length, 'one record a document');
  for (const entry of manifest) {
    const record = records.get(documentKey(entry))!;
    assert.ok(record, `${documentKey(entry)} has a record`);
    assert.equal(record.status, 'done', `${documentKey(entry)}: ${record.error?.message}`);
    assert.equal(record.class, entry.class, documentKey(entry));
    if (EXTRACTED.has(entry.class)) assert.deepEqual(record.fields, entry.fields, `${documentKey(entry)} fields`);
  }
  // A document's identity is its content: the same run again asks nothing, mails and archives included.
  const requests = emulator.stats().requests.total;
  const again = await runCli(args, { env: KEY });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(emulator.stats().requests.total, requests, 'no request on the re-run');
  assert.equal(byDocument(readRecords(out), corpus).size, manifest.length);
  // The CSV names the part beside the path.
  const csv = await runCli(['export', '--db', join(work, 'gemini-db'), '-o', join(work, 'out.csv')]);
  assert.equal(csv.code, 0, csv.stderr);
  const packed = manifest.find((entry) => entry.part)!;
  assert.match(readFileSync(join(work, 'out.csv'), 'utf8'), new RegExp(`${packed.part!.replace('.', '\\.')} \\(#\\d\\)`));
  const estimate = JSON.parse((await runCli(['estimate', corpus, '--json'])).stdout) as EstimateReport;
  assert.equal(estimate.files, manifest.length, 'estimate counts the documents inside mails and archives');
});

test('a run killed while answering a mail and an archive answers each document once when run again', async () => {
  const slow = await startEmulator({ defaultLatency: { medianMs: 400, sigma: 0 }, latency: {} });
  after(() => slow.close());
  const out = join(work, 'killed.jsonl');
  const args = ['run', corpus, '-o', out, '--db', join(work, 'killed-db'), '--no-tui', '--base-url', slow.url, '--passes', '1', ...UNLIMITED];
  const { child, result } = startCli(args, { env: KEY });
  await waitForLines(`${out}.partial`, 6);
  child.kill('SIGKILL');
  await result;
  const first = slow.stats().requests.total;
  const again = await runCli(args, { env: KEY });
  assert.equal(again.code, 0, again.stderr);
  const records = byDocument(readRecords(out), corpus);
  assert.equal(records.size, manifest.length);
  // Each document was asked at most once more than the committed ones: the killed run's in-flight requests.
  assert.ok(slow.stats().requests.total <= manifest.length + (first - 6), `${slow.stats().requests.total} requests for ${manifest.length} documents`);
  assert.match(again.stderr, /carried over from the last attempt/);
});

/** A one-member ZIP whose local and central headers `patch` rewrites (offsets of each given). */
function patchedZip(member: { name: string; data: Uint8Array }, patch: (zip: Buffer, local: number, central: number) => void): Buffer {
  const zip = Buffer.from(zipOf([member]));
  const central = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  patch(zip, zip.readUInt32LE(central + 42), central);
  return zip;
}

test('hostile archives and mails are coded failures: a ZIP bomb, 10,000 attachments, a path-traversal name, an encrypted member, a cut-off ZIP', async () => {
  const dir = join(work, 'hostile');
  mkdirSync(dir, { recursive: true });
  const invoice = manifest.find((entry) => entry.class === 'vendor_invoice' && !entry.part && !entry.image)!;
  const pdf = readFileSync(join(corpus, invoice.file));
  // A member that says it holds 1,000 bytes and inflates to 50 MB.
  const bomb = patchedZip({ name: 'invoice.pdf', data: new Uint8Array(50_000_000) }, (zip, local, central) => {
    zip.writeUInt32LE(1000, local + 22);
    zip.writeUInt32LE(1000, central + 24);
  });
  assert.ok(bomb.length < 100_000, `${bomb.length} bytes`);
  // General purpose flag bit 0: the member is encrypted.
  const encrypted = patchedZip({ name: 'secret.pdf', data: pdf }, (zip, local, central) => {
    zip.writeUInt16LE(zip.readUInt16LE(local + 6) | 1, local + 6);
    zip.writeUInt16LE(zip.readUInt16LE(central + 8) | 1, central + 8);
  });
  const files: Record<string, Uint8Array> = {
    'bomb.zip': bomb,
    'encrypted.zip': encrypted,
    'traversal.zip': zipOf([
      { name: '../../escaped.pdf', data: pdf },
      { name: 'fine/invoice.pdf', data: pdf },
      { name: 'readme.txt', data: Buffer.from('not a document') },
    ]),
    'cut-off.zip': zipOf([{ name: 'a.pdf', data: pdf }]).subarray(0, 400),
    'many.eml': emlWith(
      'many',
      'hello',
      Array.from({ length: 10_000 }, (_, index) => ({ name: `note-${index}.txt`, data: Buffer.from(`${index}`) })),
      new Date(0),
    ),
    'nested.zip': zipOf([{ name: 'forwarded.eml', data: emlWith('fwd', 'see attached', [{ name: 'inner.pdf', data: pdf }], new Date(0)) }]),
    'body-is-invoice.eml': emlWith(
      'Invoice INV-2026-0042',
      `INVOICE\nInvoice number: INV-2026-0042\nInvoice date: 2026-11-30\nVendor: Nordwind Logistik GmbH\n${'Consulting services, November: 1.000,00 EUR\n'.repeat(4)}Total due: 1.190,00 EUR`,
      [],
      new Date(0),
    ),
  };
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  const out = join(work, 'hostile.jsonl');
  const { child, result } = startCli(['run', dir, '-o', out, '--db', join(work, 'hostile-db'), '--no-tui'], { env: OFFLINE });
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const done = await result;
  clearTimeout(timer);
  assert.equal(done.code, 1, done.stderr);
  const records = byDocument(readRecords(out), dir);
  const code = (key: string) => records.get(key)?.error?.code ?? records.get(key)?.status;
  assert.equal(code('bomb.zip#invoice.pdf'), 'PART_TOO_LARGE');
  assert.equal(code('encrypted.zip#secret.pdf'), 'PART_ENCRYPTED');
  assert.equal(code('traversal.zip#../../escaped.pdf'), 'PART_UNSAFE_NAME');
  assert.equal(code('traversal.zip#fine/invoice.pdf'), 'done');
  assert.equal(code('traversal.zip#readme.txt'), 'PART_NOT_READ');
  assert.equal(records.get('traversal.zip#readme.txt')!.status, 'skipped');
  assert.equal(code('cut-off.zip'), 'CONTAINER_CORRUPT');
  assert.equal(code('many.eml'), 'CONTAINER_TOO_MANY_PARTS');
  assert.equal(records.get('nested.zip#forwarded.eml/inner.pdf')?.part?.index, '0/0', 'a mail inside a ZIP: its attachment is part 0/0');
  assert.equal(code('nested.zip#forwarded.eml/inner.pdf'), 'done');
  const body = records.get('body-is-invoice.eml#body.html')!;
  assert.deepEqual([body.status, body.class], ['done', 'vendor_invoice'], 'a mail whose text is the invoice is classed as one');
  for (const escaped of [join(work, 'escaped.pdf'), join(dir, '..', '..', 'escaped.pdf'), join(work, 'hostile-db', '..', '..', 'escaped.pdf')]) {
    assert.equal(existsSync(escaped), false, `nothing written at ${escaped}`);
  }
});
