/**
 * What a file is, read from its first bytes, never from its name: a photo saved as `.pdf` by a
 * portal, or a PDF named `.jpg` by a scanner, is read as what it is.
 */
export type ImageFormat = 'jpeg' | 'png' | 'tiff' | 'webp' | 'heic' | 'gif' | 'bmp';

/** Formats MuPDF decodes itself; WebP and HEIC go through their own WASM decoders. */
export const MUPDF_IMAGE_TYPES: Readonly<Partial<Record<ImageFormat, string>>> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  tiff: 'image/tiff',
  gif: 'image/gif',
  bmp: 'image/bmp',
};

/** HEIF brands (ISO/IEC 23008-12) whose primary image is HEVC or a HEIF still. */
const HEIF_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1']);

export function sniffImage(data: Uint8Array): ImageFormat | undefined {
  const at = (offset: number, ...bytes: number[]) => bytes.every((byte, index) => data[offset + index] === byte);
  const ascii = (offset: number, length: number) =>
    Buffer.from(data.buffer, data.byteOffset + offset, Math.max(0, Math.min(length, data.length - offset))).toString('latin1');
  if (at(0, 0xff, 0xd8, 0xff)) return 'jpeg';
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (at(0, 0x49, 0x49, 0x2a, 0x00) || at(0, 0x4d, 0x4d, 0x00, 0x2a)) return 'tiff';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 4) === 'WEBP') return 'webp';
  if (ascii(4, 4) === 'ftyp' && HEIF_BRANDS.has(ascii(8, 4))) return 'heic';
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'gif';
  if (ascii(0, 2) === 'BM' && data.length > 26) return 'bmp';
  return undefined;
}

/** Names docpool treats as images (what the default include matches). */
export const IMAGE_NAME = /\.(jpe?g|png|tiff?|webp|hei[cf]|gif|bmp)$/i;
