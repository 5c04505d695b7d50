/**
 * Ground truth for the real invoices in ../shared/corpus: invoice2data's expected JSON in truth/,
 * and for Factur-X/ZUGFeRD files the CII invoice XML embedded in the PDF itself.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as mupdf from 'mupdf';

export interface InvoiceTruth {
  readonly invoiceNumber: string | null;
  readonly date: string | null;
  readonly total: number | null;
}

/** Truth by corpus file name (invoices/ only); files with no ground truth are absent. */
export function loadInvoiceTruth(corpus: string): Map<string, InvoiceTruth> {
  const truths = new Map<string, InvoiceTruth>();
  const truthDir = join(corpus, 'truth');
  if (existsSync(truthDir)) {
    for (const file of readdirSync(truthDir)) {
      const [entry] = JSON.parse(readFileSync(join(truthDir, file), 'utf8')) as Array<{ invoice_number?: string; date?: string; amount?: number }>;
      truths.set(basename(file, '.json') + '.pdf', { invoiceNumber: entry?.invoice_number ?? null, date: entry?.date ?? null, total: entry?.amount ?? null });
    }
  }
  const invoices = join(corpus, 'invoices');
  for (const file of existsSync(invoices) ? readdirSync(invoices) : []) {
    if (truths.has(file)) continue;
    const xml = embeddedInvoiceXml(join(invoices, file));
    if (xml) truths.set(file, parseCii(xml));
  }
  return truths;
}

function embeddedInvoiceXml(path: string): string | undefined {
  let doc: mupdf.PDFDocument | undefined;
  try {
    doc = new mupdf.PDFDocument(readFileSync(path));
    for (const [name, spec] of Object.entries(doc.getEmbeddedFiles())) {
      if (!/\.xml$/i.test(name) || !/(factur|zugferd|xrechnung)/i.test(name)) continue;
      const contents = doc.getEmbeddedFileContents(spec);
      if (contents) return new TextDecoder().decode(contents.asUint8Array());
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    doc?.destroy();
  }
}

/** Invoice number `rsm:ExchangedDocument/ram:ID`, date `ram:IssueDateTime`, total `ram:GrandTotalAmount`. */
function parseCii(xml: string): InvoiceTruth {
  const documentBlock = /<rsm:ExchangedDocument>([\s\S]*?)<\/rsm:ExchangedDocument>/.exec(xml)?.[1] ?? '';
  const id = /<ram:ID>([^<]+)<\/ram:ID>/.exec(documentBlock)?.[1]?.trim() ?? null;
  const rawDate = /<ram:IssueDateTime>\s*<udt:DateTimeString[^>]*>(\d{8})<\/udt:DateTimeString>/.exec(documentBlock)?.[1];
  const total = /<ram:GrandTotalAmount[^>]*>([\d.]+)<\/ram:GrandTotalAmount>/.exec(xml)?.[1];
  return {
    invoiceNumber: id,
    date: rawDate ? `${rawDate.slice(0, 4)}-${rawDate.slice(4, 6)}-${rawDate.slice(6, 8)}` : null,
    total: total ? Number(total) : null,
  };
}
