import type { PrepareFailureCode } from '../workers/protocol.ts';
import { encryptPdf, zeroPagePdf } from './render.ts';
import type { Rng } from './rng.ts';

/** The kinds of damaged file the corpus contains, and the code docpool must report for each. */
export const DAMAGE_CODES = {
  truncated: 'PDF_TRUNCATED',
  empty: 'FILE_EMPTY',
  encrypted: 'PDF_ENCRYPTED',
  not_a_pdf: 'NOT_A_PDF',
  zero_pages: 'PDF_NO_PAGES',
} as const satisfies Record<string, PrepareFailureCode>;

export type DamageKind = keyof typeof DAMAGE_CODES;

const HTML_ERROR_PAGE =
  '<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n<body><h1>Not Found</h1><p>The requested document was not found on this server.</p></body></html>\n';

/** Turns a good PDF into the given kind of damaged file, the way such files arise in practice. */
export function damage(kind: DamageKind, good: Uint8Array, rng: Rng): Uint8Array {
  switch (kind) {
    case 'truncated':
      // An interrupted download or copy: cut somewhere in the body, losing the trailer.
      return good.slice(0, Math.floor(good.length * (0.15 + rng.next() * 0.7)));
    case 'empty':
      return new Uint8Array(0);
    case 'encrypted':
      return encryptPdf(good, `pw${rng.int(1000, 9999)}`);
    case 'not_a_pdf':
      // A saved error page, or an office file given a .pdf name.
      return rng.chance(0.5) ? new TextEncoder().encode(HTML_ERROR_PAGE) : officeFileBytes(rng);
    case 'zero_pages':
      return zeroPagePdf();
  }
}

function officeFileBytes(rng: Rng): Uint8Array {
  const bytes = new Uint8Array(2048);
  bytes.set([0x50, 0x4b, 0x03, 0x04]); // "PK\3\4": a ZIP container such as .docx
  for (let index = 4; index < bytes.length; index++) bytes[index] = rng.int(0, 255);
  return bytes;
}
