/**
 * An image's XMP metadata packet, found the way the XMP specification (Part 1, "packet scanning")
 * lets a reader find it in a file of any format: by its `<x:xmpmeta` element, stored as plain text
 * in JPEG APP1, PNG iTXt, TIFF tag 700, WebP's `XMP ` chunk and HEIF's metadata item. Carried
 * into the page docpool sends, as a converter keeps a picture's title, author and rights.
 */
const OPEN = Buffer.from('<x:xmpmeta');
const CLOSE = Buffer.from('</x:xmpmeta>');
/** A packet larger than this is not metadata worth carrying. */
const MAX_PACKET_BYTES = 256 * 1024;

export function findXmpPacket(data: Uint8Array): Uint8Array | undefined {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.length);
  const start = bytes.indexOf(OPEN);
  if (start < 0) return undefined;
  const end = bytes.indexOf(CLOSE, start);
  if (end < 0 || end + CLOSE.length - start > MAX_PACKET_BYTES) return undefined;
  return Uint8Array.from(bytes.subarray(start, end + CLOSE.length));
}
