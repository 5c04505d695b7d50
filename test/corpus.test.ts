import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as mupdf from 'mupdf';
import { generateCorpus, parseManifest } from '../src/corpus/generate.ts';
import { FINANCE_LABELS, readTruth } from '../src/corpus/truth.ts';
import { tempDir } from './helpers/temp.ts';

function digestTree(dir: string, files: string[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(readFileSync(join(dir, file)));
  return hash.digest('hex');
}

test('the corpus is byte-for-byte reproducible from its seed, and another seed differs', async () => {
  const [a, b, c] = [tempDir('seed-a'), tempDir('seed-b'), tempDir('seed-c')];
  await generateCorpus({ dir: a, count: 60, seed: 9, maxPages: 30 });
  await generateCorpus({ dir: b, count: 60, seed: 9, maxPages: 30 });
  await generateCorpus({ dir: c, count: 60, seed: 10, maxPages: 30 });
  const manifest = parseManifest(readFileSync(join(a, 'manifest.jsonl'), 'utf8'));
  assert.equal(readFileSync(join(a, 'manifest.jsonl'), 'utf8'), readFileSync(join(b, 'manifest.jsonl'), 'utf8'));
  // MuPDF salts AES encryption from its own random source (string lengths vary by a byte or two
  // with the escapes the ciphertext needs): encrypted files are compared as encrypted PDFs of the same size, give or take.
  const encrypted = manifest.filter((entry) => entry.damaged === 'PDF_ENCRYPTED').map((entry) => entry.file);
  const plain = manifest.filter((entry) => entry.damaged !== 'PDF_ENCRYPTED').map((entry) => entry.file);
  assert.equal(digestTree(a, plain), digestTree(b, plain));
  for (const file of encrypted) {
    const [left, right] = [readFileSync(join(a, file)), readFileSync(join(b, file))];
    assert.ok(Math.abs(left.length - right.length) <= left.length * 0.01, `${file}: ${left.length} vs ${right.length} bytes`);
    for (const bytes of [left, right]) assert.equal(mupdf.Document.openDocument(bytes, 'application/pdf').needsPassword(), true);
  }
  assert.notEqual(readFileSync(join(a, 'manifest.jsonl'), 'utf8'), readFileSync(join(c, 'manifest.jsonl'), 'utf8'));
});

test('each intact file carries its ground truth in its metadata, matching the manifest', async () => {
  const dir = tempDir('truth');
  await generateCorpus({ dir, count: 120, seed: 3, maxPages: 20, scannedRate: 0.2 });
  const manifest = parseManifest(readFileSync(join(dir, 'manifest.jsonl'), 'utf8'));
  assert.ok(new Set(manifest.map((entry) => entry.class)).size >= 6, 'most classes appear');
  assert.ok(manifest.some((entry) => entry.scanned) && manifest.some((entry) => entry.lang === 'de') && manifest.some((entry) => entry.lang === 'fr'));
  for (const entry of manifest.filter((candidate) => candidate.damaged === null)) {
    const doc = new mupdf.PDFDocument(readFileSync(join(dir, entry.file)));
    const truth = readTruth(doc);
    assert.ok(truth && FINANCE_LABELS.includes(truth.class));
    assert.equal(truth.class, entry.class);
    assert.deepEqual(truth.fields, entry.fields);
    assert.equal(doc.countPages(), entry.pages);
    const text = doc.loadPage(0).toStructuredText('preserve-whitespace').asText();
    if (entry.scanned) assert.equal(text.trim(), '', `${entry.file} is image-only`);
    else if (entry.class === 'vendor_invoice') assert.ok(text.includes(String(entry.fields.invoice_number)), `${entry.file} shows its invoice number`);
    doc.destroy();
  }
});

test('1,000 files generate well within a minute', async () => {
  const dir = tempDir('thousand');
  const summary = await generateCorpus({ dir, count: 1000, seed: 1 });
  assert.equal(summary.files, 1000);
  assert.ok(summary.ms < 60_000, `took ${summary.ms} ms`);
  assert.ok(summary.pages >= 1000);
});
