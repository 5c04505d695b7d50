import * as mupdf from 'mupdf';

/**
 * An HTML document (a mail's body: an invoice sent as the mail itself) laid out by MuPDF's HTML
 * engine on A4 pages and written as a PDF, so it takes the path every document takes. It is read
 * from memory alone: no file or network resource it names is fetched.
 */
const A4: [number, number] = [595, 842];
const EM = 11;

export function htmlToPdf(html: Uint8Array, maxPages: number): Uint8Array {
  const handles: Array<{ destroy(): void }> = [];
  const keep = <T extends { destroy(): void }>(handle: T): T => (handles.push(handle), handle);
  try {
    const doc = keep(mupdf.Document.openDocument(html, 'text/html'));
    doc.layout(A4[0], A4[1], EM);
    const output = keep(new mupdf.Buffer());
    const writer = keep(new mupdf.DocumentWriter(output, 'pdf', ''));
    for (let index = 0; index < Math.min(maxPages, doc.countPages()); index++) {
      const page = keep(doc.loadPage(index));
      const device = writer.beginPage(page.getBounds());
      page.run(device, mupdf.Matrix.identity);
      writer.endPage();
    }
    writer.close();
    return output.asUint8Array().slice();
  } finally {
    for (const handle of handles.reverse()) handle.destroy();
  }
}
