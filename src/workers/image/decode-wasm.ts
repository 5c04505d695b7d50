import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import decodeHeic from 'heic-decode';
import decodeWebp, { init as initWebp } from '@jsquash/webp/decode.js';
import { messageOf } from '../error-message.ts';

/**
 * HEIC (iPhone photos) and WebP, which MuPDF does not read, decoded by their own WASM builds
 * (libheif, libwebp) into RGBA pixels. Each reports its size from the header before a pixel is
 * decoded, so a bomb is refused before it costs memory.
 */
export interface DecodedPixels {
  readonly width: number;
  readonly height: number;
  /** RGBA, 4 bytes a pixel. */
  readonly rgba: Uint8Array | Uint8ClampedArray;
}

export type PixelsOutcome =
  | { readonly ok: true; readonly pixels: DecodedPixels }
  | { readonly ok: false; readonly reason: 'too-large'; readonly width: number; readonly height: number }
  | { readonly ok: false; readonly reason: 'corrupt'; readonly detail: string };

export async function decodeHeicPixels(data: Uint8Array, maxPixels: number): Promise<PixelsOutcome> {
  let images: Awaited<ReturnType<typeof decodeHeic.all>> | undefined;
  // libheif's JS glue prints parse errors with console.log, which a worker thread pipes to the terminal (and the dashboard).
  const log = console.log;
  console.log = () => {};
  try {
    images = await decodeHeic.all({ buffer: data });
    const primary = images[0]!;
    if (primary.width * primary.height > maxPixels) return { ok: false, reason: 'too-large', width: primary.width, height: primary.height };
    const decoded = await primary.decode();
    return { ok: true, pixels: { width: decoded.width, height: decoded.height, rgba: decoded.data } };
  } catch (error) {
    return { ok: false, reason: 'corrupt', detail: messageOf(error) };
  } finally {
    console.log = log;
    images?.dispose();
  }
}

/** WebAssembly (the project's TypeScript lib has no WebAssembly types). */
const wasmApi = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<Parameters<typeof initWebp>[0]> } }).WebAssembly;

let webpReady: Promise<void> | undefined;

export async function decodeWebpPixels(data: Uint8Array, maxPixels: number): Promise<PixelsOutcome> {
  const size = webpCanvasSize(data);
  if (!size) return { ok: false, reason: 'corrupt', detail: 'no VP8, VP8L or VP8X header' };
  if (size.width * size.height > maxPixels) return { ok: false, reason: 'too-large', ...size };
  try {
    webpReady ??= loadWebp();
    await webpReady;
    const bytes = data.slice();
    const image = await decodeWebp(bytes.buffer);
    return { ok: true, pixels: { width: image.width, height: image.height, rgba: image.data } };
  } catch (error) {
    return { ok: false, reason: 'corrupt', detail: messageOf(error) };
  }
}

/** The WASM is compiled from the package's own file: nothing is fetched. */
async function loadWebp(): Promise<void> {
  const require = createRequire(import.meta.url);
  const wasm = readFileSync(require.resolve('@jsquash/webp/codec/dec/webp_dec.wasm'));
  await initWebp(await wasmApi.compile(wasm));
}

/** Canvas size from a WebP's first chunk (RIFF container, "WebP Container Specification"). */
function webpCanvasSize(data: Uint8Array): { width: number; height: number } | undefined {
  if (data.length < 30) return undefined;
  const view = Buffer.from(data.buffer, data.byteOffset, data.length);
  const chunk = view.toString('latin1', 12, 16);
  if (chunk === 'VP8X') return { width: 1 + view.readUIntLE(24, 3), height: 1 + view.readUIntLE(27, 3) };
  if (chunk === 'VP8 ') return { width: view.readUInt16LE(26) & 0x3fff, height: view.readUInt16LE(28) & 0x3fff };
  if (chunk === 'VP8L') {
    const bits = view.readUInt32LE(21);
    return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >> 14) & 0x3fff) };
  }
  return undefined;
}
