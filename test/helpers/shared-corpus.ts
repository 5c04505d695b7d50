import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The real-PDF corpus beside the project; tests that use it skip when it is absent. */
export const SHARED_CORPUS = fileURLToPath(new URL('../../../shared/corpus', import.meta.url));
export const hasSharedCorpus = existsSync(`${SHARED_CORPUS}/MANIFEST.tsv`);

/** What each damaged real file must be reported as (see ../shared/corpus/MANIFEST.tsv). */
export const EXPECTED_DAMAGE: Record<string, string> = {
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
export const READABLE_BY_MUPDF = 'pdf.js__test__pdfs__bug1978317.pdf';
