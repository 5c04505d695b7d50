import type * as mupdf from 'mupdf';

/**
 * Ground truth a test corpus may carry in a PDF's Info dictionary under `DocpoolTruth`, or as the
 * XMP property `DocpoolTruth` (in a PDF's metadata stream, or an image's XMP packet): JSON
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
  const root = trailer.get('Root');
  const metadata = root.isDictionary() ? root.get('Metadata') : undefined;
  try {
    if (value?.isString()) return parseTruth(value.asString());
    if (metadata?.isStream()) return readXmpTruth(metadata.readStream().asUint8Array());
    return undefined;
  } finally {
    for (const handle of [metadata, root, value, info, trailer]) handle?.destroy();
  }
}

/**
 * The documents a PDF's pages say they belong to: a page's own metadata stream (page-level XMP, as
 * PDF allows any page to carry) may hold `DocpoolTruth`; consecutive pages with the same truth
 * are one document, and a page without one continues the document before it. Empty when no page
 * says anything (the document-level truth then speaks for every page).
 */
export function readPageSpans(doc: mupdf.PDFDocument, pages: number): Array<{ first: number; last: number; truth: DocumentTruth }> {
  const spans: Array<{ first: number; last: number; truth: DocumentTruth; key: string }> = [];
  for (let index = 0; index < pages; index++) {
    const page = doc.findPage(index);
    const metadata = page.get('Metadata');
    try {
      const raw = metadata.isStream() ? metadata.readStream() : undefined;
      const truth = raw ? readXmpTruth(raw.asUint8Array()) : undefined;
      raw?.destroy();
      const last = spans[spans.length - 1];
      const key = truth ? JSON.stringify(truth) : undefined;
      if (truth && key !== last?.key) spans.push({ first: index + 1, last: index + 1, truth, key: key! });
      else if (last) last.last = index + 1;
    } finally {
      metadata.destroy();
      page.destroy();
    }
  }
  return spans.map(({ first, last, truth }) => ({ first, last, truth }));
}

/** The truth in an XMP packet anywhere in `bytes` (a PDF's metadata stream, or an image file). */
export function readXmpTruth(bytes: Uint8Array): DocumentTruth | undefined {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const match = /<(?:[\w-]+:)?DocpoolTruth>([^<]*)<\/(?:[\w-]+:)?DocpoolTruth>/.exec(text);
  if (!match) return undefined;
  const unescaped = match[1]!
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
  return parseTruth(unescaped);
}

function parseTruth(json: string): DocumentTruth | undefined {
  try {
    const parsed = JSON.parse(json) as { v?: unknown; class?: unknown; fields?: unknown };
    if (parsed.v !== 1 || typeof parsed.class !== 'string' || typeof parsed.fields !== 'object' || parsed.fields === null) return undefined;
    return { class: parsed.class, fields: parsed.fields as Record<string, unknown> };
  } catch {
    return undefined;
  }
}
