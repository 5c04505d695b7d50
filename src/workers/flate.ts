import { inflateSync } from 'node:zlib';
import type * as mupdf from 'mupdf';

/**
 * Undoing a PDF stream's Flate filters here, with zlib and a ceiling on the output, instead of
 * letting MuPDF decode it whole into its WASM heap: how a worker measures what a stream would cost
 * (inflation-budget.ts) and reads an attachment (einvoice/find-embedded.ts) without a
 * decompression bomb taking the thread's memory.
 */

/** A stream's filter names, in the order a reader undoes them. */
export function filtersOf(stream: mupdf.PDFObject): string[] {
  const filter = stream.get('Filter');
  try {
    if (filter.isName()) return [filter.asName()];
    if (!filter.isArray()) return [];
    const names: string[] = [];
    filter.forEach((entry) => {
      if (entry.isName()) names.push(entry.asName());
      entry.destroy();
    });
    return names;
  } finally {
    filter.destroy();
  }
}

/** Whether zlib can undo every filter (FlateDecode, or its abbreviation Fl). */
export function onlyFlate(filters: readonly string[]): boolean {
  return filters.every((name) => name === 'FlateDecode' || name === 'Fl');
}

export type Inflated =
  | { readonly kind: 'inflated'; readonly data: Uint8Array }
  /** A layer would pass the ceiling: zlib stopped there. */
  | { readonly kind: 'over' }
  /** A layer is not valid Flate; `data` is what the layers before it gave (no reader gets more from it). */
  | { readonly kind: 'damaged'; readonly data: Uint8Array };

/** `stored` with `layers` Flate filters undone, each layer's output at most `ceiling` bytes. */
export function inflateChain(stored: Uint8Array, layers: number, ceiling: number): Inflated {
  let data = stored;
  for (let layer = 0; layer < layers; layer++) {
    try {
      // Z_SYNC_FLUSH: a stream cut short inflates to what it holds, as MuPDF reads it.
      data = inflateSync(data, { maxOutputLength: ceiling, finishFlush: 2 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return { kind: 'over' };
      return { kind: 'damaged', data };
    }
  }
  return { kind: 'inflated', data };
}
