import * as mupdf from 'mupdf';
import { decodeHeicPixels, decodeWebpPixels, type DecodedPixels, type PixelsOutcome } from './decode-wasm.ts';
import { type ImageFormat, MUPDF_IMAGE_TYPES } from './sniff.ts';
import { findXmpPacket } from './xmp-packet.ts';
import { messageOf } from '../error-message.ts';
import { engineBroken, noteEngineFault } from '../pdf-window.ts';
import type { PrepareFailureCode } from '../protocol.ts';

/**
 * A photo or scan turned into what docpool sends for every document: a PDF, one page a frame (a
 * TIFF's every frame a page), upright by its EXIF orientation, bounded in pixels.
 *
 * Why a PDF page and not an image part: Google bills a PDF page at 258 tokens on 2.x and at 560
 * (MEDIUM, the PDF default) on Gemini 3, while an image part costs 258 per 768×768 tile on 2.x (six
 * tiles, 1,548 tokens, for an A4 page at 150 dpi) and 1,120 on Gemini 3 (HIGH, the image default)
 * — token and media-resolution pages, searched 2026-12-07. The page is never dearer, it keeps one
 * path (window, subset, estimate, limiter) for every input, and `--media-resolution` applies to it.
 */

/** A frame over this many pixels is refused before it is decoded: a 600 dpi A4 scan is 35 MP, a phone photo 12–48 MP. */
const MAX_IMAGE_PIXELS = 64_000_000;
/**
 * The long side, in pixels, a page is sent at: ~140 dpi for an A4 page, finer than any media
 * resolution reads it (a Gemini 3 page is 280 to 1,120 tokens whatever its size); larger photos
 * are scaled down, smaller ones never up (at 2,400 px, a 200 dpi photo's page took 1.7× as long
 * to make and 2× the bytes, for nothing the model reads).
 */
export const MAX_SENT_SIDE = 1600;
/** The long side kept when the pages are read by OCR instead (nothing is sent): Tesseract reads small print better at 1.5× a 200 dpi scan than at 1×. */
export const MAX_OCR_SOURCE_SIDE = 3000;
/** JPEG quality for the pages: text stays sharp, a page stays under ~100 KB. */
const JPEG_QUALITY = 80;
/** Points for a pixel when the image states no resolution (MuPDF's own assumption, 96 dpi). */
const POINTS_PER_PIXEL = 72 / 96;

export interface ImageWindow {
  /** Frames in the file (a TIFF's pages); 1 for other formats. */
  readonly pageCount: number;
  readonly windowPages: number;
  /** The window as a PDF, one page a frame, with the image's XMP metadata. */
  readonly pdf: Uint8Array;
}

export type ImageOutcome =
  { readonly ok: true; readonly window: ImageWindow } | { readonly ok: false; readonly code: PrepareFailureCode; readonly message: string };

/** MuPDF's words for pixels that are not all there: a photo cut short in its download is a damaged file, not a page. */
const DAMAGE_WARNING = /premature end|truncated|corrupt|bad huffman|invalid|unexpected end/i;

export async function readImageWindow(data: Uint8Array, format: ImageFormat, pageWindow: number, maxSide = MAX_SENT_SIDE): Promise<ImageOutcome> {
  if (engineBroken()) return { ok: false, code: 'PDF_ENGINE_FAULT', message: "this thread's PDF engine was broken by an earlier file; it is being replaced" };
  const handles: Array<{ destroy(): void }> = [];
  const keep = <T extends { destroy(): void }>(handle: T): T => (handles.push(handle), handle);
  // MuPDF decodes a damaged image as far as it can and says so only in its log: listened to here.
  const heard: string[] = [];
  mupdf.setLog({ error: (message: string) => heard.push(message), warning: (message: string) => heard.push(message) });
  try {
    const source = await openSource(data, format, keep);
    if (!source.ok) return source;
    const wanted = Math.min(source.pageCount, pageWindow);
    const writer = new PageWriter(keep);
    for (let index = 0; index < wanted; index++) {
      const page = keep(source.loadPage(index));
      const size = nativeSize(page);
      if (!size) return corrupt(`frame ${index + 1} holds no image`);
      if (size.width * size.height > MAX_IMAGE_PIXELS) return tooLarge(size.width, size.height);
      const rendered = renderBounded(page, size, maxSide, keep);
      if (!rendered.ok) return corrupt(`frame ${index + 1} cannot be decoded (${rendered.detail})`);
      const damage = heard.find((message) => DAMAGE_WARNING.test(message));
      if (damage) return corrupt(`frame ${index + 1} is damaged or cut short (${damage})`);
      writer.add(rendered.jpeg, page.getBounds());
    }
    const xmp = findXmpPacket(data);
    return {
      ok: true,
      window: {
        pageCount: source.pageCount,
        windowPages: wanted,
        pdf: writer.save(xmp),
      },
    };
  } catch (error) {
    const fault = noteEngineFault(error);
    if (fault) return { ok: false, code: 'PDF_ENGINE_FAULT', message: `the image broke the PDF engine (${fault}); its worker thread was replaced` };
    return corrupt(messageOf(error));
  } finally {
    // After a trap nothing more may run on the engine (its handles are left to the thread's end).
    if (!engineBroken()) {
      for (const handle of handles.reverse()) handle.destroy();
      // MuPDF keeps decoded images in its store (up to 256 MB) for a next use that never comes here.
      mupdf.emptyStore();
    }
    mupdf.setLog({ error: () => {}, warning: () => {} });
  }
}

type Keep = <T extends { destroy(): void }>(handle: T) => T;

type Source =
  | { readonly ok: true; readonly pageCount: number; loadPage(index: number): mupdf.Page }
  | { readonly ok: false; readonly code: PrepareFailureCode; readonly message: string };

/** The file as pages: MuPDF's image document (EXIF orientation applied), or decoded pixels on a page of their own. */
async function openSource(data: Uint8Array, format: ImageFormat, keep: Keep): Promise<Source> {
  const declared = format === 'png' ? pngHeaderSize(data) : undefined;
  if (declared && declared.width * declared.height > MAX_IMAGE_PIXELS) return tooLarge(declared.width, declared.height);
  const mimeType = MUPDF_IMAGE_TYPES[format];
  if (mimeType) {
    let doc: mupdf.Document;
    try {
      doc = keep(mupdf.Document.openDocument(data, mimeType));
    } catch (error) {
      return corrupt(`not a readable ${format.toUpperCase()} (${messageOf(error)})`);
    }
    const pageCount = doc.countPages();
    if (pageCount === 0) return corrupt(`the ${format.toUpperCase()} holds no image`);
    return { ok: true, pageCount, loadPage: (index) => doc.loadPage(index) };
  }
  const decoded: PixelsOutcome = format === 'heic' ? await decodeHeicPixels(data, MAX_IMAGE_PIXELS) : await decodeWebpPixels(data, MAX_IMAGE_PIXELS);
  if (!decoded.ok)
    return decoded.reason === 'too-large' ? tooLarge(decoded.width, decoded.height) : corrupt(`not a readable ${format.toUpperCase()} (${decoded.detail})`);
  const page = pixelsPage(decoded.pixels, keep);
  return { ok: true, pageCount: 1, loadPage: () => page };
}

/** A PNG's size as its IHDR chunk states it: a bomb is named as one, not as a file MuPDF refuses. */
function pngHeaderSize(data: Uint8Array): { width: number; height: number } | undefined {
  if (data.length < 24) return undefined;
  const view = Buffer.from(data.buffer, data.byteOffset, data.length);
  return view.toString('latin1', 12, 16) === 'IHDR' ? { width: view.readUInt32BE(16), height: view.readUInt32BE(20) } : undefined;
}

/** Decoded pixels drawn on a page of their size, so they take the same bounded rendering as any frame. */
function pixelsPage({ width, height, rgba }: DecodedPixels, keep: Keep): mupdf.Page {
  const pixmap = keep(new mupdf.Pixmap(mupdf.ColorSpace.DeviceRGB, [0, 0, width, height], false));
  const samples = pixmap.getPixels();
  for (let source = 0, target = 0; source < rgba.length; source += 4, target += 3) {
    samples[target] = rgba[source]!;
    samples[target + 1] = rgba[source + 1]!;
    samples[target + 2] = rgba[source + 2]!;
  }
  const doc = keep(new mupdf.PDFDocument());
  const [w, h] = [width * POINTS_PER_PIXEL, height * POINTS_PER_PIXEL];
  insertImagePage(doc, keep(new mupdf.Image(pixmap)), w, h, keep);
  return doc.loadPage(0);
}

interface NativeImage {
  readonly width: number;
  readonly height: number;
  /** One colour component: a grey scan or a black-and-white fax stays grey (a third of the bytes, and faster). */
  readonly grey: boolean;
}

/** The pixel size of the image a frame draws, read from its header: nothing is decoded yet. */
function nativeSize(page: mupdf.Page): NativeImage | undefined {
  let size: NativeImage | undefined;
  const device = new mupdf.Device({
    fillImage(image: mupdf.Image) {
      size ??= { width: image.getWidth(), height: image.getHeight(), grey: image.getNumberOfComponents() === 1 };
      image.destroy();
    },
  });
  try {
    page.run(device, mupdf.Matrix.identity);
    device.close();
  } finally {
    device.destroy();
  }
  return size;
}

type Rendered = { readonly ok: true; readonly jpeg: Uint8Array } | { readonly ok: false; readonly detail: string };

/** The frame rendered upright with its long side at most `maxSide` pixels, as a JPEG. */
function renderBounded(page: mupdf.Page, size: NativeImage, maxSide: number, keep: Keep): Rendered {
  const [x0, y0, x1, y1] = page.getBounds();
  const longPoints = Math.max(x1 - x0, y1 - y0);
  const longPixels = Math.min(Math.max(size.width, size.height), maxSide);
  const scale = longPixels / longPoints;
  const colours = size.grey ? mupdf.ColorSpace.DeviceGray : mupdf.ColorSpace.DeviceRGB;
  try {
    const pixmap = keep(page.toPixmap(mupdf.Matrix.scale(scale, scale), colours, false, true));
    return { ok: true, jpeg: pixmap.asJPEG(JPEG_QUALITY, false).slice() };
  } catch (error) {
    return { ok: false, detail: messageOf(error) };
  }
}

/** Collects rendered frames into one PDF, a page each at the frame's own size in points. */
class PageWriter {
  readonly #doc: mupdf.PDFDocument;
  readonly #keep: Keep;

  constructor(keep: Keep) {
    this.#keep = keep;
    this.#doc = keep(new mupdf.PDFDocument());
  }

  add(jpeg: Uint8Array, bounds: mupdf.Rect): void {
    const [x0, y0, x1, y1] = bounds;
    const [w, h] = [x1 - x0, y1 - y0];
    insertImagePage(this.#doc, this.#keep(new mupdf.Image(jpeg)), w, h, this.#keep);
  }

  /** The PDF, with the image's XMP packet as the document's metadata stream (where a PDF keeps it). */
  save(xmp: Uint8Array | undefined): Uint8Array {
    if (xmp) {
      const keep = this.#keep;
      const stream = keep(this.#doc.addStream(xmp, {}));
      stream.put('Type', keep(this.#doc.newName('Metadata')));
      stream.put('Subtype', keep(this.#doc.newName('XML')));
      keep(keep(this.#doc.getTrailer()).get('Root')).put('Metadata', stream);
    }
    const saved = this.#keep(this.#doc.saveToBuffer('compress'));
    return saved.asUint8Array().slice();
  }
}

/**
 * A page of `w` × `h` points that draws `image` over its whole area. Every object handle is
 * released by hand: one left to the finalizers keeps the whole document, its image data included,
 * in the thread's WASM heap (seen: ~380 MB a thread over 800 photos).
 */
function insertImagePage(doc: mupdf.PDFDocument, image: mupdf.Image, w: number, h: number, keep: Keep): void {
  const imageObject = keep(doc.addImage(image));
  const resources = keep(doc.addObject({ XObject: { Im0: imageObject } }));
  doc.insertPage(-1, keep(doc.addPage([0, 0, w, h], 0, resources, `q ${w} 0 0 ${h} 0 0 cm /Im0 Do Q`)));
}

function corrupt(detail: string): { ok: false; code: 'IMAGE_CORRUPT'; message: string } {
  return { ok: false, code: 'IMAGE_CORRUPT', message: `the image cannot be read: ${detail}` };
}

function tooLarge(width: number, height: number): { ok: false; code: 'IMAGE_TOO_LARGE'; message: string } {
  const megapixels = Math.round((width * height) / 1e6);
  return {
    ok: false,
    code: 'IMAGE_TOO_LARGE',
    message: `${width} × ${height} pixels (${megapixels} MP) is over the ${MAX_IMAGE_PIXELS / 1e6} MP bound: a decompression bomb, or a scan far finer than any document needs; refused before decoding`,
  };
}
