import * as mupdf from 'mupdf';
import { encodeTruth, type GroundTruth, TRUTH_METADATA_KEY, xmpPacket } from './truth.ts';

const PAGE: [number, number, number, number] = [0, 0, 595, 842]; // A4 in points
const TOP = 800;
const LEFT = 50;
const LEADING = 15;
/** Scanned pages are rendered at this fraction of 72 dpi: enough to look like a scan, cheap to make. */
const SCAN_SCALE = 0.75;

export interface RenderOptions {
  /** Draw pages as images with no text layer, like a scanner would. */
  readonly imageOnly: boolean;
  readonly truth: GroundTruth;
  readonly producer: string;
  /** A file attached to the document (a Factur-X invoice's `factur-x.xml`). */
  readonly attachment?: { readonly name: string; readonly mimeType: string; readonly text: string };
}

/** Renders page lines into a PDF with Helvetica text (or page images) and the truth in its metadata. */
export function renderPdf(pages: readonly (readonly string[])[], options: RenderOptions): Uint8Array {
  const doc = new mupdf.PDFDocument();
  try {
    new PageWriter(doc, options.imageOnly, true).write(pages);
    doc.setMetaData('info:Producer', options.producer);
    doc.setMetaData(TRUTH_METADATA_KEY, encodeTruth(options.truth));
    if (options.attachment) {
      const { name, mimeType, text } = options.attachment;
      const epoch = new Date(Date.UTC(2026, 0, 1)); // fixed: the corpus is the same bytes for the same seed
      doc.insertEmbeddedFile(name, doc.addEmbeddedFile(name, mimeType, text, epoch, epoch));
    }
    return saved(doc);
  } finally {
    doc.destroy();
  }
}

/**
 * Several documents in one PDF, as a scanner's batch or a portal's export gives them: each page
 * carries its own document's truth as page-level XMP (a page's metadata stream), and the file as a
 * whole claims none.
 */
export function renderBundle(
  documents: ReadonlyArray<{ readonly pages: readonly (readonly string[])[]; readonly truth: GroundTruth }>,
  imageOnly: boolean,
  producer: string,
): Uint8Array {
  const doc = new mupdf.PDFDocument();
  try {
    const writer = new PageWriter(doc, imageOnly, false);
    let page = 0;
    for (const { pages, truth } of documents) {
      writer.write(pages);
      const metadata = doc.addStream(xmpPacket(truth), { Type: 'Metadata', Subtype: 'XML' });
      for (; page < doc.countPages(); page++) doc.findPage(page).put('Metadata', metadata);
    }
    doc.setMetaData('info:Producer', producer);
    return saved(doc);
  } finally {
    doc.destroy();
  }
}

/** Draws pages of text lines, or (scans) images of them, at the end of a document. */
class PageWriter {
  readonly #textResources: mupdf.PDFObject;
  readonly #images = new Map<number, mupdf.PDFObject>();

  constructor(
    private readonly doc: mupdf.PDFDocument,
    private readonly imageOnly: boolean,
    /**
     * A scanned document reuses one image for its first page and one for every later page:
     * rendering each of up to 500 pages would dominate generation time and the emulator reads the
     * truth anyway. A bundle's pages are each drawn: their counters are what splits it offline.
     */
    private readonly reuseLaterPages: boolean,
  ) {
    const font = doc.addSimpleFont(new mupdf.Font('Helvetica'), 'Latin');
    this.#textResources = doc.addObject({ Font: { F1: font } });
  }

  write(pages: readonly (readonly string[])[]): void {
    const doc = this.doc;
    pages.forEach((lines, index) => {
      const contents = textContent(lines);
      let pageObject: mupdf.PDFObject;
      if (this.imageOnly) {
        const key = Math.min(index, 1);
        let image = this.reuseLaterPages ? this.#images.get(key) : undefined;
        if (!image) {
          image = doc.addImage(scanImage(contents));
          this.#images.set(key, image);
        }
        const resources = doc.addObject({ XObject: { Im0: image } });
        pageObject = doc.addPage(PAGE, 0, resources, `q ${PAGE[2]} 0 0 ${PAGE[3]} 0 0 cm /Im0 Do Q`);
      } else {
        pageObject = doc.addPage(PAGE, 0, this.#textResources, contents);
      }
      doc.insertPage(-1, pageObject);
    });
  }
}

function saved(doc: mupdf.PDFDocument): Uint8Array {
  const buffer = doc.saveToBuffer('compress');
  const bytes = buffer.asUint8Array().slice();
  buffer.destroy();
  return bytes;
}

/** Re-saves a rendered PDF with AES-256 and a user password, as a protected download would be. */
export function encryptPdf(bytes: Uint8Array, userPassword: string): Uint8Array {
  const doc = new mupdf.PDFDocument(bytes);
  try {
    const saved = doc.saveToBuffer(`encrypt=aes-256,user-password=${userPassword},owner-password=${userPassword}-owner`);
    const out = saved.asUint8Array().slice();
    saved.destroy();
    return out;
  } finally {
    doc.destroy();
  }
}

/** A structurally valid PDF whose page tree is empty. */
export function zeroPagePdf(): Uint8Array {
  const doc = new mupdf.PDFDocument();
  try {
    const saved = doc.saveToBuffer('');
    const out = saved.asUint8Array().slice();
    saved.destroy();
    return out;
  } finally {
    doc.destroy();
  }
}

function scanImage(contents: Uint8Array): mupdf.Image {
  // Draw the text page in a scratch document, rasterise it in grey, and use the pixels.
  const scratch = new mupdf.PDFDocument();
  try {
    const font = scratch.addSimpleFont(new mupdf.Font('Helvetica'), 'Latin');
    scratch.insertPage(-1, scratch.addPage(PAGE, 0, scratch.addObject({ Font: { F1: font } }), contents));
    const page = scratch.loadPage(0);
    const pixmap = page.toPixmap(mupdf.Matrix.scale(SCAN_SCALE, SCAN_SCALE), mupdf.ColorSpace.DeviceGray, false);
    page.destroy();
    return new mupdf.Image(pixmap);
  } finally {
    scratch.destroy();
  }
}

/** A content stream drawing each line in Helvetica 10pt, encoded in WinAnsi as the font expects. */
function textContent(lines: readonly string[]): Uint8Array {
  const parts: string[] = [`BT /F1 10 Tf ${LEADING} TL ${LEFT} ${TOP} Td`];
  for (const line of lines) parts.push(`(${escapePdfString(line)}) '`);
  parts.push('ET');
  return toWinAnsi(parts.join('\n'));
}

function escapePdfString(text: string): string {
  return text.replace(/[\\()]/g, (char) => `\\${char}`);
}

/** WinAnsiEncoding agrees with Latin-1 except in 0x80–0x9F, where the euro sign and dashes live. */
const WIN_ANSI_EXTRAS: Record<string, number> = { '€': 0x80, '–': 0x96, '—': 0x97, '’': 0x92, '“': 0x93, '”': 0x94 };

function toWinAnsi(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    const code = char.charCodeAt(0);
    out[index] = WIN_ANSI_EXTRAS[char] ?? (code <= 0xff ? code : 0x3f);
  }
  return out;
}
