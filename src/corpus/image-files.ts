import { crc32, deflateSync } from 'node:zlib';
import * as mupdf from 'mupdf';
import { type GroundTruth, xmpPacket } from './truth.ts';

/**
 * A rendered document as the files a finance team gets besides PDFs: a phone photo (JPEG whose
 * pixels lie on their side, with the EXIF orientation that turns them upright), a PNG screenshot,
 * a scanner's multi-page TIFF. Each carries its ground truth in an XMP packet, the standard place
 * for an image's metadata, where the emulator reads it as it reads a PDF's.
 */

/** Pixels per point the pages are drawn at (200 dpi): an office scan, or a phone photo of a page filling the frame. */
const SCALE = 200 / 72;

/** Each page of a PDF rendered to pixels (grey, as a scanner or a photo of paper gives). */
function renderPages(pdf: Uint8Array, pages: number, rotate = 0): mupdf.Pixmap[] {
  const doc = new mupdf.PDFDocument(pdf);
  try {
    const pixmaps: mupdf.Pixmap[] = [];
    for (let index = 0; index < Math.min(pages, doc.countPages()); index++) {
      const page = doc.loadPage(index);
      const matrix = mupdf.Matrix.concat(mupdf.Matrix.scale(SCALE, SCALE), mupdf.Matrix.rotate(rotate));
      const bounds = mupdf.Rect.transform(page.getBounds(), matrix);
      const fitted = mupdf.Matrix.concat(matrix, mupdf.Matrix.translate(-bounds[0], -bounds[1]));
      pixmaps.push(page.toPixmap(fitted, mupdf.ColorSpace.DeviceGray, false));
      page.destroy();
    }
    return pixmaps;
  } finally {
    doc.destroy();
  }
}

/**
 * A phone photo of the first page: the sensor's pixels are landscape (the page drawn turned 90°
 * counter-clockwise) and EXIF orientation 6 says "rotate 90° clockwise to view".
 */
export function photoJpeg(pdf: Uint8Array, truth: GroundTruth): Uint8Array {
  return pageJpeg(pdf, truth, true);
}

/**
 * The first page as a JPEG with its XMP (APP1); `sideways` draws it turned and adds EXIF
 * orientation 6, as a phone held flat does.
 */
export function pageJpeg(pdf: Uint8Array, truth: GroundTruth, sideways: boolean): Uint8Array {
  const [pixmap] = renderPages(pdf, 1, sideways ? -90 : 0);
  const jpeg = Buffer.from(pixmap!.asJPEG(92, false));
  pixmap!.destroy();
  const exif = sideways ? [app1(Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), orientationTiff(6)]))] : [];
  const xmp = app1(Buffer.concat([Buffer.from('http://ns.adobe.com/xap/1.0/\0', 'latin1'), Buffer.from(xmpPacket(truth), 'utf8')]));
  return Buffer.concat([jpeg.subarray(0, 2), ...exif, xmp, jpeg.subarray(2)]);
}

/** A screenshot or a scanner's PNG of the first page, its XMP in an uncompressed iTXt chunk. */
export function pagePng(pdf: Uint8Array, truth: GroundTruth): Uint8Array {
  const [pixmap] = renderPages(pdf, 1);
  const png = Buffer.from(pixmap!.asPNG());
  pixmap!.destroy();
  const text = Buffer.concat([Buffer.from('XML:com.adobe.xmp\0\0\0\0\0', 'latin1'), Buffer.from(xmpPacket(truth), 'utf8')]);
  const chunk = pngChunk('iTXt', text);
  const afterHeader = 8 + 25; // signature, then the IHDR chunk
  return Buffer.concat([png.subarray(0, afterHeader), chunk, png.subarray(afterHeader)]);
}

/** A scanner's multi-page TIFF: every page a frame (8-bit grey, Deflate), the XMP in the first frame's tag 700. */
export function scanTiff(pdf: Uint8Array, pages: number, truth: GroundTruth): Uint8Array {
  const pixmaps = renderPages(pdf, pages);
  const frames = pixmaps.map((pixmap) => {
    const frame = { width: pixmap.getWidth(), height: pixmap.getHeight(), strip: deflateSync(Buffer.from(pixmap.getPixels())) };
    pixmap.destroy();
    return frame;
  });
  return writeTiff(frames, Buffer.from(xmpPacket(truth), 'utf8'));
}

/** A PNG whose header claims `width` × `height` pixels over a few bytes of data: a decompression bomb. */
export function bombPng(width: number, height: number): Uint8Array {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8-bit grey, deflate, no interlace
  // One zero row, then nothing: a decoder must allocate the whole canvas before it learns the data is short.
  const data = deflateSync(Buffer.alloc(width + 1));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', data),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function pngChunk(type: string, body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed) >>> 0);
  return Buffer.concat([length, typed, crc]);
}

function app1(body: Buffer): Buffer {
  const marker = Buffer.from([0xff, 0xe1, 0, 0]);
  marker.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([marker, body]);
}

/** A big-endian TIFF header with one IFD entry: Orientation (0x0112) = `value`. */
function orientationTiff(value: number): Buffer {
  return Buffer.from([0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, value, 0, 0, 0, 0, 0, 0]);
}

interface TiffFrame {
  readonly width: number;
  readonly height: number;
  readonly strip: Buffer;
}

/** Little-endian baseline TIFF, one strip a frame, IFDs chained (TIFF 6.0 §2). */
function writeTiff(frames: readonly TiffFrame[], xmp: Buffer): Uint8Array {
  const chunks: Buffer[] = [];
  let offset = 8;
  const header = Buffer.from([0x49, 0x49, 0x2a, 0, 0, 0, 0, 0]);
  chunks.push(header);
  const place = (buffer: Buffer): number => {
    const at = offset;
    chunks.push(buffer);
    offset += buffer.length + (buffer.length % 2);
    if (buffer.length % 2) chunks.push(Buffer.alloc(1));
    return at;
  };
  const ifdOffsets: number[] = [];
  const nextPointers: Array<{ chunk: Buffer; at: number }> = [];
  frames.forEach((frame, index) => {
    const stripAt = place(frame.strip);
    const xmpAt = index === 0 ? place(xmp) : 0;
    // [tag, type (3 SHORT, 4 LONG, 1 BYTE), count, value]
    const entries: Array<[number, number, number, number]> = [
      [256, 4, 1, frame.width],
      [257, 4, 1, frame.height],
      [258, 3, 1, 8],
      [259, 3, 1, 8], // Deflate
      [262, 3, 1, 1], // BlackIsZero
      [273, 4, 1, stripAt],
      [277, 3, 1, 1],
      [278, 4, 1, frame.height],
      [279, 4, 1, frame.strip.length],
    ];
    if (index === 0) entries.push([700, 1, xmp.length, xmpAt]);
    entries.sort((a, b) => a[0] - b[0]);
    const ifd = Buffer.alloc(2 + entries.length * 12 + 4);
    ifd.writeUInt16LE(entries.length, 0);
    entries.forEach(([tag, type, count, value], entry) => {
      const at = 2 + entry * 12;
      ifd.writeUInt16LE(tag, at);
      ifd.writeUInt16LE(type, at + 2);
      ifd.writeUInt32LE(count, at + 4);
      if (type === 3) ifd.writeUInt16LE(value, at + 8);
      else ifd.writeUInt32LE(value, at + 8);
    });
    ifdOffsets.push(place(ifd));
    nextPointers.push({ chunk: ifd, at: 2 + entries.length * 12 });
  });
  header.writeUInt32LE(ifdOffsets[0]!, 4);
  nextPointers.forEach(({ chunk, at }, index) => chunk.writeUInt32LE(ifdOffsets[index + 1] ?? 0, at));
  return Buffer.concat(chunks);
}
