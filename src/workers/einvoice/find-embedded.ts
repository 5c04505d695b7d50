import type * as mupdf from 'mupdf';
import { filtersOf, inflateChain, onlyFlate } from '../flate.ts';
import type { EInvoiceReading } from './facts.ts';
import { MAX_EINVOICE_BYTES, readEInvoiceXml } from './read-xml.ts';

/** Attachments looked at: a Factur-X PDF carries one to a handful (the XML, a delivery note, a logo). */
const MAX_ATTACHMENTS = 64;
/** Levels of the EmbeddedFiles name tree followed (real ones have one or two). */
const MAX_TREE_DEPTH = 16;

/**
 * The e-invoice inside a PDF (Factur-X, ZUGFeRD 1 and 2, XRechnung hybrids), picked by content,
 * not by name: every attachment of the document's EmbeddedFiles name tree and of its catalogue's
 * associated files (/AF) is read, small and bounded, and the first whose XML is an e-invoice wins.
 * Undefined when the PDF carries none. The name tree is walked here, bounded, rather than with
 * mupdf.js's getEmbeddedFiles, which recurses without limit into a looping tree.
 */
export function findEmbeddedEInvoice(doc: mupdf.PDFDocument): EInvoiceReading | undefined {
  const handles: mupdf.PDFObject[] = [];
  const keep = (object: mupdf.PDFObject) => (handles.push(object), object);
  try {
    const specs = new Map<string, mupdf.PDFObject>();
    const root = keep(keep(doc.getTrailer()).get('Root'));
    collectNameTree(keep(root.get('Names', 'EmbeddedFiles')), specs, keep, 0, new Set());
    const associated = keep(root.get('AF'));
    if (associated.isArray()) {
      for (let index = 0; index < Math.min(associated.length, MAX_ATTACHMENTS); index++) {
        const spec = keep(associated.get(index));
        specs.set(nameOf(spec, keep) ?? `attachment ${index + 1}`, spec);
      }
    }
    let problem: EInvoiceReading | undefined;
    for (const [name, spec] of specs) {
      const xml = attachmentText(spec, keep);
      if (xml === undefined) continue;
      if (xml === null) {
        problem ??= looksLikeInvoiceName(name)
          ? { ok: false, reason: `its attachment ${name} is larger than ${MAX_EINVOICE_BYTES / 1024 / 1024} MB`, source: name }
          : undefined;
        continue;
      }
      const reading = readEInvoiceXml(xml, name);
      if (reading?.ok) return reading;
      problem ??= reading;
    }
    return problem;
  } finally {
    for (const handle of handles.reverse()) handle.destroy();
  }
}

function collectNameTree(
  node: mupdf.PDFObject,
  specs: Map<string, mupdf.PDFObject>,
  keep: (object: mupdf.PDFObject) => mupdf.PDFObject,
  depth: number,
  seen: Set<number>,
): void {
  if (depth > MAX_TREE_DEPTH || !node.isDictionary() || specs.size >= MAX_ATTACHMENTS) return;
  const number = node.asIndirect();
  if (number !== 0) {
    if (seen.has(number)) return;
    seen.add(number);
  }
  const names = keep(node.get('Names'));
  if (names.isArray()) {
    for (let index = 0; index + 1 < names.length && specs.size < MAX_ATTACHMENTS; index += 2) {
      const key = keep(names.get(index));
      specs.set(key.isString() ? key.asString() : `attachment ${specs.size + 1}`, keep(names.get(index + 1)));
    }
  }
  const kids = keep(node.get('Kids'));
  if (kids.isArray()) for (let index = 0; index < kids.length; index++) collectNameTree(keep(kids.get(index)), specs, keep, depth + 1, seen);
}

function nameOf(spec: mupdf.PDFObject, keep: (object: mupdf.PDFObject) => mupdf.PDFObject): string | undefined {
  for (const key of ['UF', 'F']) {
    const value = keep(spec.get(key));
    if (value.isString()) return value.asString();
  }
  return undefined;
}

function looksLikeInvoiceName(name: string): boolean {
  return /\.xml$/i.test(name);
}

/**
 * An attachment's bytes as text, read with a ceiling: undefined when it is not an XML stream,
 * null when it is larger than an e-invoice can be. Flate is undone by zlib with a bound on its
 * output (an attachment can be a decompression bomb too); other filters are not e-invoices.
 */
function attachmentText(spec: mupdf.PDFObject, keep: (object: mupdf.PDFObject) => mupdf.PDFObject): string | null | undefined {
  const stream = keep(spec.get('EF', 'F'));
  if (!stream.isStream()) return undefined;
  const filters = filtersOf(stream);
  if (!onlyFlate(filters)) return undefined;
  const raw = stream.readRawStream();
  let stored: Uint8Array;
  try {
    stored = raw.asUint8Array().slice();
  } finally {
    raw.destroy();
  }
  const inflated = inflateChain(stored, filters.length, MAX_EINVOICE_BYTES + 1);
  if (inflated.kind === 'over') return null;
  // Damaged data: not an e-invoice anyone can read.
  if (inflated.kind === 'damaged') return undefined;
  const { data } = inflated;
  if (data.byteLength > MAX_EINVOICE_BYTES) return null;
  const head = Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, 512)).toString('utf8');
  if (!/^\uFEFF?\s*</.test(head)) return undefined;
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
}
