/**
 * `node --import tsx scripts/image-fixtures.ts`: writes test/fixtures/images, the HEIC and WebP
 * documents the tests read. No npm package encodes HEIC (HEVC) and the WebP one is browser-bound,
 * so the files are made once here with Debian's encoders (`apt-get install libheif-examples
 * webp`), from generated documents whose truth travels in their XMP, and kept in the repository.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeDocument } from '../src/corpus/documents.ts';
import { pageJpeg } from '../src/corpus/image-files.ts';
import { renderPdf } from '../src/corpus/render.ts';
import { Rng } from '../src/corpus/rng.ts';
import type { FinanceLabel } from '../src/corpus/truth.ts';

const OUT = fileURLToPath(new URL('../test/fixtures/images', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'docpool-image-fixtures-'));
const documents: Array<{ file: string; label: FinanceLabel; lang: 'en' | 'de' | 'fr'; encode: (jpeg: string, out: string) => string[] }> = [
  { file: 'receipt.heic', label: 'receipt', lang: 'de', encode: (jpeg, out) => ['heif-enc', '-q', '60', jpeg, '-o', out] },
  { file: 'invoice.webp', label: 'vendor_invoice', lang: 'fr', encode: (jpeg, out) => ['cwebp', '-quiet', '-q', '80', '-metadata', 'xmp', jpeg, '-o', out] },
];
const manifest: string[] = [];
const rng = new Rng(3030);
for (const document of documents) {
  const content = composeDocument(document.label, document.lang, 1, rng);
  const pdf = renderPdf(content.pages, { imageOnly: false, truth: content.truth, producer: 'docpool image fixtures' });
  const jpeg = join(scratch, `${document.file}.jpg`);
  writeFileSync(jpeg, pageJpeg(pdf, content.truth, false));
  const [command, ...args] = document.encode(jpeg, join(OUT, document.file));
  execFileSync(command!, args, { stdio: 'inherit' });
  manifest.push(
    JSON.stringify({ file: document.file, class: document.label, fields: content.truth.fields, pages: 1, damaged: null, lang: document.lang, scanned: true }),
  );
}
writeFileSync(join(OUT, 'manifest.jsonl'), `${manifest.join('\n')}\n`);
rmSync(scratch, { recursive: true, force: true });
process.stderr.write(`wrote ${documents.length} fixtures to ${OUT}\n`);
