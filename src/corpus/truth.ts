import type * as mupdf from 'mupdf';
import { FINANCE_LABELS, type FinanceLabel } from '../main/profiles/finance-labels.ts';

export { FINANCE_LABELS, type FinanceLabel };

/**
 * The ground truth the corpus generator writes into every PDF it makes, and that the emulator
 * reads back to answer like a model that read the document perfectly (even image-only pages).
 */
export type FieldValue = string | number | null | readonly FieldRecord[];
export interface FieldRecord {
  readonly [name: string]: string | number | null;
}
export type Fields = Readonly<Record<string, FieldValue>>;

export interface GroundTruth {
  readonly class: FinanceLabel;
  readonly fields: Fields;
  readonly lang: 'en' | 'de' | 'fr';
}

/** Info-dictionary key holding the JSON-encoded truth. */
export const TRUTH_INFO_KEY = 'DocpoolTruth';
/** The same key in MuPDF's `setMetaData` form, for writing. */
export const TRUTH_METADATA_KEY = `info:${TRUTH_INFO_KEY}`;

export function encodeTruth(truth: GroundTruth): string {
  return JSON.stringify({ v: 1, ...truth });
}

/** XMP namespace of the corpus's truth property. */
const TRUTH_NAMESPACE = 'https://docpool.dev/ns/truth/1.0/';

/** The truth as an XMP packet: an image's metadata, or a page's own metadata stream in a bundle. */
export function xmpPacket(truth: GroundTruth): string {
  const escaped = encodeTruth(truth).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return (
    `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">` +
    `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dp="${TRUTH_NAMESPACE}">` +
    `<dp:DocpoolTruth>${escaped}</dp:DocpoolTruth></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`
  );
}

/** Returns the truth if the string is one this generator wrote, else undefined (a real document). */
export function decodeTruth(raw: string | undefined): GroundTruth | undefined {
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as Partial<GroundTruth> & { v?: number };
    if (parsed.v !== 1 || !FINANCE_LABELS.includes(parsed.class as FinanceLabel) || typeof parsed.fields !== 'object') return undefined;
    return { class: parsed.class as FinanceLabel, fields: parsed.fields ?? {}, lang: parsed.lang ?? 'en' };
  } catch {
    return undefined;
  }
}

/**
 * Reads the truth from a PDF's Info dictionary. MuPDF's getMetaData() cuts values at 500 bytes,
 * too short for an invoice's line items, so the dictionary is read directly.
 */
export function readTruth(doc: mupdf.PDFDocument): GroundTruth | undefined {
  // Handles freed by hand: the emulator reads thousands of these, faster than finalizers run.
  const trailer = doc.getTrailer();
  const info = trailer.get('Info');
  const value = info.isDictionary() ? info.get(TRUTH_INFO_KEY) : undefined;
  try {
    return value?.isString() ? decodeTruth(value.asString()) : undefined;
  } finally {
    for (const handle of [value, info, trailer]) handle?.destroy();
  }
}
