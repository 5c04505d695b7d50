import type * as mupdf from 'mupdf';

/**
 * Ground truth a test corpus may carry in a PDF's Info dictionary under `DocpoolTruth`: JSON
 * `{"v":1,"class":"…","fields":{…}}`. This is a published file format, read here on its own
 * terms: the emulator trusts what the document says about itself, as a perfect reader would, and
 * knows nothing of how or by whom it was written.
 */
export interface DocumentTruth {
  readonly class: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

const INFO_KEY = 'DocpoolTruth';

/**
 * Reads the truth straight from the Info dictionary (MuPDF's getMetaData() cuts values at 500
 * bytes, too short for line items). Every handle is freed by hand: the emulator reads thousands.
 */
export function readDocumentTruth(doc: mupdf.PDFDocument): DocumentTruth | undefined {
  const trailer = doc.getTrailer();
  const info = trailer.get('Info');
  const value = info.isDictionary() ? info.get(INFO_KEY) : undefined;
  try {
    if (!value?.isString()) return undefined;
    const parsed = JSON.parse(value.asString()) as { v?: unknown; class?: unknown; fields?: unknown };
    if (parsed.v !== 1 || typeof parsed.class !== 'string' || typeof parsed.fields !== 'object' || parsed.fields === null) return undefined;
    return { class: parsed.class, fields: parsed.fields as Record<string, unknown> };
  } catch {
    return undefined;
  } finally {
    for (const handle of [value, info, trailer]) handle?.destroy();
  }
}
