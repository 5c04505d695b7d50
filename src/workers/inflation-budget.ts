import type * as mupdf from 'mupdf';
import { filtersOf, inflateChain, onlyFlate } from './flate.ts';

/**
 * What the streams a window's text is read from may inflate to, together. MuPDF decodes a content
 * stream whole into its WASM heap, and that heap never shrinks: a 1.8 KB file whose stream is
 * Flate-compressed twice inflates to 600 MB and grows its thread past 1 GB, every thread at once
 * on a folder of them. An invoice's first pages take a few MB (a large embedded CJK font ~20 MB).
 */
export const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

/** Objects looked at before the walk gives up checking (a window's pages reach a few hundred). */
const MAX_OBJECTS = 20_000;

/**
 * Keys that lead away from what a page draws: up the page tree, to other pages (links,
 * destinations, threads), or to the structure tree. Following them would walk the whole document.
 */
const SKIPPED_KEYS = new Set(['Parent', 'P', 'Dest', 'D', 'A', 'AA', 'B', 'Popup', 'IRT', 'StructParents', 'Metadata', 'Thumb']);

/**
 * Why reading the text of pages `first`..`pages` - 1 would inflate past the budget, or undefined. Every
 * stream those pages reach (contents, forms, patterns, fonts, annotation appearances) is measured
 * before MuPDF decodes it: Flate chains are inflated here by zlib with a ceiling on its output, so
 * a bomb costs this thread at most the budget, in JS memory that is given back. Images are skipped
 * (text extraction does not decode them); chains with other filters (LZW, RunLength) count at
 * their stored size: they are not bounded here.
 */
export function inflationProblem(doc: mupdf.PDFDocument, pages: number, first = 0): string | undefined {
  const walk = new InflationWalk();
  try {
    for (let index = first; index < pages && walk.problem === undefined; index++) walk.visit(doc.findPage(index));
    return walk.problem;
  } finally {
    walk.release();
  }
}

class InflationWalk {
  problem: string | undefined;
  #inflated = 0;
  #objects = 0;
  readonly #seen = new Set<number>();
  readonly #handles: mupdf.PDFObject[] = [];

  visit(object: mupdf.PDFObject): void {
    this.#handles.push(object);
    if (this.problem !== undefined || ++this.#objects > MAX_OBJECTS) return;
    const number = object.asIndirect();
    if (number !== 0) {
      if (this.#seen.has(number)) return;
      this.#seen.add(number);
    }
    if (object.isStream()) {
      if (isImage(object)) return;
      this.#measure(object);
    }
    if (object.isDictionary() || object.isArray()) {
      object.forEach((value, key) => {
        if (typeof key === 'string' && SKIPPED_KEYS.has(key)) this.#handles.push(value);
        else this.visit(value);
      });
    }
  }

  release(): void {
    for (const handle of this.#handles) handle.destroy();
  }

  #measure(stream: mupdf.PDFObject): void {
    const filters = filtersOf(stream);
    const raw = stream.readRawStream();
    let size: number;
    try {
      size = onlyFlate(filters) ? this.#inflatedSize(raw.asUint8Array(), filters.length) : raw.getLength();
    } finally {
      raw.destroy();
    }
    this.#inflated += size;
    if (this.#inflated > MAX_INFLATED_BYTES) {
      this.problem = `its first pages' streams inflate past ${MAX_INFLATED_BYTES / 1024 / 1024} MB (a decompression bomb, or content no document of this kind needs)`;
    }
  }

  /** The stream's size once its `layers` Flate filters are undone, stopping at the budget left. */
  #inflatedSize(stored: Uint8Array, layers: number): number {
    const room = MAX_INFLATED_BYTES - this.#inflated + 1;
    const inflated = inflateChain(stored, layers, room);
    // Damaged data: MuPDF reads what it can of it, and that is no more than the layers before gave.
    return inflated.kind === 'over' ? room : inflated.data.byteLength;
  }
}

function isImage(stream: mupdf.PDFObject): boolean {
  const subtype = stream.get('Subtype');
  try {
    return subtype.isName() && subtype.asName() === 'Image';
  } finally {
    subtype.destroy();
  }
}
