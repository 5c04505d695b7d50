import { readFileSync } from 'node:fs';
import * as mupdf from 'mupdf';

/** A PDF with `xml` attached as factur-x.xml (through MuPDF, as a producer would): a Factur-X invoice when the XML is CII. */
export function withAttachment(source: string, xml: string): Buffer {
  const doc = mupdf.Document.openDocument(readFileSync(source), 'application/pdf').asPDF()!;
  const spec = doc.addEmbeddedFile('factur-x.xml', 'text/xml', xml, new Date(), new Date());
  doc.insertEmbeddedFile('factur-x.xml', spec);
  const saved = doc.saveToBuffer('compress');
  const bytes = Buffer.from(saved.asUint8Array());
  saved.destroy();
  doc.destroy();
  return bytes;
}
