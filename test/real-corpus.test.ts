import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PreparePool } from '../src/main/prepare-pool.ts';
import type { PrepareResult } from '../src/workers/protocol.ts';
import { hasSharedCorpus, SHARED_CORPUS } from './helpers/shared-corpus.ts';

/** What each damaged real file must be reported as (see ../shared/corpus/MANIFEST.tsv). */
const EXPECTED_DAMAGE: Record<string, string> = {
  'OCRmyPDF__tests__resources__invalid.pdf': 'PDF_CORRUPT',
  'mustangproject__Mustang-CLI__src__test__resources__corrupt-factur-x-waytoosmall.pdf': 'PDF_TRUNCATED',
  'pdf.js__test__pdfs__REDHAT-1531897-0.pdf': 'PDF_NO_PAGES',
  'pdf.js__test__pdfs__auth-event-ef-open.pdf': 'PDF_ENCRYPTED',
  'pdf.js__test__pdfs__bug1782186.pdf': 'PDF_ENCRYPTED',
  'pdf.js__test__pdfs__poppler-67295-0.pdf': 'PDF_CORRUPT',
  'pdf.js__test__pdfs__poppler-742-0-fuzzed.pdf': 'PDF_CORRUPT',
  'pdf.js__test__pdfs__poppler-85140-0.pdf': 'PDF_CORRUPT',
  'pdfminer.six__samples__encryption__aes-128-m.pdf': 'PDF_ENCRYPTED',
  'pdfplumber__tests__pdfs__empty.pdf': 'FILE_EMPTY',
  'qpdf__qpdf__qtest__qpdf__c-empty.pdf': 'PDF_NO_PAGES',
  'qpdf__qpdf__qtest__qpdf__issue-146.pdf': 'PDF_TRUNCATED',
  'qpdf__qpdf__qtest__qpdf__issue-147.pdf': 'NOT_A_PDF',
  'qpdf__qpdf__qtest__qpdf__issue-263.pdf': 'NOT_A_PDF',
  'qpdf__qpdf__qtest__qpdf__job-json-encrypt-40.pdf': 'PDF_ENCRYPTED',
};
/** Damaged for pdf.js but whole for MuPDF (MANIFEST says pages_mupdf = 1): it must simply work. */
const READABLE_BY_MUPDF = 'pdf.js__test__pdfs__bug1978317.pdf';

test('every real PDF in ../shared/corpus is prepared without a crash or hang, damaged ones with their own code', { skip: !hasSharedCorpus && 'shared corpus absent' }, async () => {
  const pool = new PreparePool({ workers: 2, taskTimeoutMs: 20_000 });
  after(() => pool.close());
  const results = new Map<string, PrepareResult>();
  await Promise.all(
    ['invoices', 'general', 'scanned', 'large', 'malformed'].flatMap((folder) =>
      readdirSync(join(SHARED_CORPUS, folder)).map(async (name) => {
        results.set(`${folder}/${name}`, await pool.prepare({ path: join(SHARED_CORPUS, folder, name), pageWindow: 5, maxFileBytes: 100 * 1024 * 1024, buildSubset: true }));
      }),
    ),
  );
  assert.equal(results.size, 45);
  for (const [file, result] of results) {
    const [folder, name] = file.split('/') as [string, string];
    if (folder === 'malformed' && name !== READABLE_BY_MUPDF) {
      assert.equal(result.kind === 'failed' ? result.code : 'prepared', EXPECTED_DAMAGE[name], file);
    } else {
      assert.equal(result.kind, 'prepared', `${file}: ${result.kind === 'failed' ? result.message : ''}`);
    }
  }
  const large = results.get('large/sample-files__009-pdflatex-geotopo__GeoTopo-komprimiert.pdf');
  assert.ok(large?.kind === 'prepared' && large.pageCount === 117 && large.windowPages === 5);
  for (const [file, result] of results) {
    if (file.startsWith('scanned/')) assert.equal(result.kind === 'prepared' && result.hasTextLayer, false, `${file} has no text layer`);
    if (file.startsWith('invoices/invoice2data')) assert.equal(result.kind === 'prepared' && result.hasTextLayer, true, `${file} has text`);
  }
  assert.equal(pool.stats().crashes + pool.stats().timeouts, 0);
});
