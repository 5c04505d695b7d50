import * as mupdf from 'mupdf';
import { findEmbeddedEInvoice } from './einvoice/find-embedded.ts';
import type { EInvoiceReading } from './einvoice/facts.ts';
import { inflationProblem } from './inflation-budget.ts';
import { messageOf } from './error-message.ts';
import { MAX_SPLIT_PAGES, type PageRange, type PdfMetadata, type PrepareFailureCode } from './protocol.ts';
import { type BundleCues, countedAsOne, readBundleCues } from './split/page-cues.ts';

/** What MuPDF gave us for the first pages of a document that opened and passed the checks. */
export interface PdfWindow {
  /** The file's pages (the range's, when the window was taken from one). */
  readonly pageCount: number;
  readonly windowPages: number;
  /** The window's first page in the file, counted from 0. */
  readonly firstPage: number;
  readonly text: string;
  readonly subset: Uint8Array;
  /** Asked to split a file of more pages than the threshold: what its pages' text says of the documents in it. */
  readonly pages?: SplitPages;
  readonly metadata: PdfMetadata;
  readonly warnings: readonly string[];
  /** The e-invoice attached to it, when asked for and there is one. */
  readonly einvoice?: EInvoiceReading;
}

export type WindowOutcome =
  { readonly ok: true; readonly window: PdfWindow } | { readonly ok: false; readonly code: PrepareFailureCode; readonly message: string };

// MuPDF prints a line for every repair it makes; on a damaged corpus that floods the terminal
// (and the dashboard). Each result's code already says what went wrong.
mupdf.setLog({ error: () => {}, warning: () => {} });

// mupdf.js frees an object through its class's `_drop`, from destroy() or from a
// FinalizationRegistry when the object is collected; after a trap that would run on the broken
// heap and throw, uncaught, before the thread retires. Wrapped before any object exists (the
// registries are made from `_drop` on first use), each release is skipped once the engine broke.
for (const value of Object.values(mupdf)) {
  const owner = value as { _drop?: (pointer: number) => void };
  if (typeof value !== 'function' || !Object.hasOwn(value, '_drop') || typeof owner._drop !== 'function') continue;
  const drop = owner._drop;
  owner._drop = (pointer) => {
    if (engineFault === undefined) drop(pointer);
  };
}

const HEADER_SEARCH_BYTES = 1024; // readers accept a `%PDF-` header anywhere in the first 1 KiB
const TRAILER_SEARCH_BYTES = 2048; // room for the junk some producers append after %%EOF
/** The smallest page object is a few dozen bytes; a count far beyond that is a lie in the file. */
const MIN_BYTES_PER_PAGE = 16;

/** Which pages to read: the first `pageWindow` of the file or of a range, and every page when the file may be split. */
export interface WindowSpec {
  readonly pageWindow: number;
  readonly buildSubset: boolean;
  readonly readEInvoice?: boolean;
  readonly range?: PageRange;
  /** Read every page (up to MAX_SPLIT_PAGES) of a file of more than this many pages. */
  readonly splitAbove?: number;
}

/**
 * Opens a PDF and reads its first `pageWindow` pages. MuPDF often fails silently on damaged
 * files (0 pages, password needed, a "repaired" half file), so every symptom is checked
 * explicitly and given its own code rather than trusting that no exception means success.
 */
export function readPdfWindow(data: Uint8Array, spec: WindowSpec): WindowOutcome {
  if (engineFault)
    return { ok: false, code: 'PDF_ENGINE_FAULT', message: `this thread's PDF engine was broken by an earlier file (${engineFault}); it is being replaced` };
  try {
    return readWindow(data, spec);
  } catch (error) {
    if (!isEngineFault(error)) throw error;
    // A trap leaves MuPDF's WASM memory in an unknown state: nothing more may run on it.
    engineFault = messageOf(error);
    return {
      ok: false,
      code: 'PDF_ENGINE_FAULT',
      message: `the PDF broke the PDF engine (${engineFault}): deeply nested or looping content; its worker thread was replaced`,
    };
  }
}

/** Set once a document trapped MuPDF's WASM (stack overflow, out-of-bounds access): the thread must be replaced. */
let engineFault: string | undefined;

/**
 * Records a trap that happened outside the PDF reader (an image's pages are MuPDF's too): the
 * fault's message when `error` is one, so the thread retires as after a PDF that broke it.
 */
export function noteEngineFault(error: unknown): string | undefined {
  if (!isEngineFault(error)) return undefined;
  engineFault = messageOf(error);
  return engineFault;
}

/** Whether this thread's MuPDF was broken by a document (the worker entry then retires the thread). */
export function engineBroken(): boolean {
  return engineFault !== undefined;
}

/**
 * Bytes of WASM memory MuPDF holds: a WebAssembly heap grows and never shrinks, so one document
 * that inflated a stream to hundreds of MB would keep its thread that large for the rest of the
 * run. Read through a buffer view (MuPDF's own heap is not exported).
 */
export function engineHeapBytes(): number {
  const probe = new mupdf.Buffer();
  try {
    return probe.asUint8Array().buffer.byteLength;
  } finally {
    probe.destroy();
  }
}

/**
 * A WebAssembly trap, or the JS stack running out in MuPDF's glue: the engine, not the document's
 * structure, failed, and the WASM instance cannot be trusted with another file.
 */
function isEngineFault(error: unknown): boolean {
  return (WasmRuntimeError !== undefined && error instanceof WasmRuntimeError) || (error instanceof RangeError && /call stack/i.test(error.message));
}

/** WebAssembly.RuntimeError (the project's TypeScript lib has no WebAssembly types). */
const WasmRuntimeError = (globalThis as { WebAssembly?: { RuntimeError?: new () => Error } }).WebAssembly?.RuntimeError;

function readWindow(data: Uint8Array, spec: WindowSpec): WindowOutcome {
  if (!hasPdfHeader(data)) {
    return { ok: false, code: 'NOT_A_PDF', message: `no %PDF- header in the first ${HEADER_SEARCH_BYTES} bytes (starts with ${describeStart(data)})` };
  }
  // MuPDF "repairs" a cut-off file and happily reports its first pages, but the rest of the
  // document (often the totals) is gone: a missing trailer is a truncated file, not a warning.
  if (!hasEofMarker(data)) {
    return { ok: false, code: 'PDF_TRUNCATED', message: 'the file ends before its %%EOF trailer: an interrupted download or copy?' };
  }
  const warnings: string[] = [];
  const broken = (detail: string): WindowOutcome => ({ ok: false, code: 'PDF_CORRUPT', message: `MuPDF cannot read the document: ${detail}` });

  let doc: mupdf.PDFDocument | undefined;
  try {
    try {
      const opened = mupdf.Document.openDocument(data, 'application/pdf');
      doc = opened.asPDF() ?? undefined;
      if (!doc) return broken('not a PDF document structure');
    } catch (error) {
      if (isEngineFault(error)) throw error;
      return broken(messageOf(error));
    }
    if (doc.needsPassword()) {
      return { ok: false, code: 'PDF_ENCRYPTED', message: 'the PDF is encrypted and needs a user password to open' };
    }
    let pageCount: number;
    try {
      pageCount = doc.countPages();
    } catch (error) {
      if (isEngineFault(error)) throw error;
      return broken(messageOf(error));
    }
    if (pageCount === 0) return { ok: false, code: 'PDF_NO_PAGES', message: 'the PDF parses but contains no pages' };
    if (pageCount > data.length / MIN_BYTES_PER_PAGE) {
      return { ok: false, code: 'PDF_CORRUPT', message: `the page tree claims ${pageCount} pages in a ${data.length}-byte file` };
    }

    const range = spec.range ?? { from: 1, to: pageCount };
    if (range.from < 1 || range.to > pageCount || range.from > range.to)
      return broken(`pages ${range.from}-${range.to} asked of a ${pageCount}-page document (it changed since it was split?)`);
    const first = range.from - 1;
    const wanted = Math.min(range.to - first, spec.pageWindow);
    const bomb = inflationProblem(doc, first + wanted);
    if (bomb) return { ok: false, code: 'PDF_DECOMPRESSION_BOMB', message: bomb };
    const texts: string[] = [];
    for (let index = first; index < first + wanted; index++) {
      const pageText = readPageText(doc, index);
      if (pageText === undefined) break;
      texts.push(pageText);
    }
    if (texts.length === 0) return broken(`page ${first + 1} cannot be loaded`);
    const windowPages = texts.length;
    if (windowPages < wanted) warnings.push(`pages ${first + windowPages + 1}..${first + wanted} could not be read; window shortened`);
    const einvoice = spec.readEInvoice && !spec.range ? findEmbeddedEInvoice(doc) : undefined;
    // A usable e-invoice is one invoice, whatever its pages hold: its pages are not read for others.
    const splitting = spec.splitAbove !== undefined && !spec.range && pageCount > spec.splitAbove && einvoice?.ok !== true;
    const pages = splitting ? readForSplit(doc, texts, pageCount, spec.buildSubset, warnings) : undefined;

    return {
      ok: true,
      window: {
        ...(einvoice ? { einvoice } : {}),
        pageCount: range.to - first,
        windowPages,
        firstPage: first,
        text: texts.join('\n\f\n'),
        subset: spec.buildSubset ? graftSubset(doc, first, windowPages) : new Uint8Array(0),
        ...(pages ? { pages } : {}),
        metadata: readMetadata(doc),
        warnings,
      },
    };
  } finally {
    doc?.destroy();
  }
}

/** The pages of a file that may hold several documents, as the worker read them for the cues. */
export interface SplitPages {
  /** Each page's text, from the first, as far as was read (empty when the first and last page's counters settle it). */
  readonly texts: readonly string[];
  /** Pages the cues speak for: those read (at most MAX_SPLIT_PAGES), or every page when the first and last page's counters settle it. */
  readonly read: number;
  readonly cues: BundleCues;
  /** The pages read, grafted for a model to split, when the cues are unsure and the task builds subsets. */
  readonly subset: Uint8Array;
}

/**
 * Every page's text (up to MAX_SPLIT_PAGES) for the page cues, and the pages grafted only when
 * the cues are unsure (a model is then shown them). A file whose first page says "Page 1 of N"
 * and whose last says "Page N of N", N its page count, is one document: two pages read, not a hundred.
 */
function readForSplit(
  doc: mupdf.PDFDocument,
  windowTexts: readonly string[],
  pageCount: number,
  buildSubset: boolean,
  warnings: string[],
): SplitPages | undefined {
  // The last page is read only once its streams are known to stay within the inflation budget, as every page read is.
  const lastText = inflationProblem(doc, pageCount, pageCount - 1) ? undefined : readPageText(doc, pageCount - 1);
  if (lastText !== undefined && countedAsOne(windowTexts[0]!, lastText, pageCount)) {
    return { texts: [], read: pageCount, cues: { ranges: [{ from: 1, to: pageCount }], sure: true }, subset: new Uint8Array(0) };
  }
  const wanted = Math.min(pageCount, MAX_SPLIT_PAGES);
  // Every page is read only when that too stays within the inflation budget; else the file is answered whole.
  if (inflationProblem(doc, wanted)) {
    warnings.push('not looked at for several documents: reading every page would inflate past the budget');
    return undefined;
  }
  const texts = [...windowTexts];
  for (let index = texts.length; index < wanted; index++) {
    const pageText = readPageText(doc, index);
    if (pageText === undefined) break;
    texts.push(pageText);
  }
  const cues = readBundleCues(texts);
  return { texts, read: texts.length, cues, subset: buildSubset && !cues.sure ? graftSubset(doc, 0, texts.length) : new Uint8Array(0) };
}

function readPageText(doc: mupdf.PDFDocument, index: number): string | undefined {
  let page: mupdf.PDFPage | undefined;
  let stext: mupdf.StructuredText | undefined;
  try {
    page = doc.loadPage(index);
    stext = page.toStructuredText('preserve-whitespace');
    return stext.asText();
  } catch (error) {
    if (isEngineFault(error)) throw error;
    return undefined;
  } finally {
    stext?.destroy();
    page?.destroy();
  }
}

/**
 * Builds a new document holding only `pages` pages from `first`. Grafting into a fresh document is
 * used instead of deleting pages because deletion barely shrinks the file and `rearrangePages`
 * has been seen to hang on ordinary files (DESIGN §12). The Info dictionary is carried over
 * so the receiver sees the same title and metadata as the original, and so is each page's own
 * metadata stream (page-level XMP), which MuPDF's page graft leaves behind.
 */
function graftSubset(source: mupdf.PDFDocument, first: number, pages: number): Uint8Array {
  // Every MuPDF handle is destroyed by hand: the finalizers run too late for a worker that
  // grafts thousands of files, and a forgotten graft map holds ~180 KB of WASM heap per file.
  const handles: Array<{ destroy(): void }> = [];
  const keep = <T extends { destroy(): void }>(handle: T): T => (handles.push(handle), handle);
  const target = keep(new mupdf.PDFDocument());
  try {
    const graftMap = keep(target.newGraftMap());
    for (let index = 0; index < pages; index++) {
      graftMap.graftPage(-1, source, first + index);
      const metadata = keep(keep(source.findPage(first + index)).get('Metadata'));
      if (metadata.isStream()) keep(target.findPage(index)).put('Metadata', keep(graftMap.graftObject(metadata)));
    }
    const info = keep(keep(source.getTrailer()).get('Info'));
    if (info.isDictionary()) keep(target.getTrailer()).put('Info', keep(graftMap.graftObject(info)));
    const saved = keep(target.saveToBuffer('compress,garbage'));
    // asUint8Array() is a view into WASM memory; copy it into a buffer of its own so it can be moved.
    return saved.asUint8Array().slice();
  } finally {
    for (const handle of handles.reverse()) handle.destroy();
  }
}

function readMetadata(doc: mupdf.PDFDocument): PdfMetadata {
  const field = (key: string): string | undefined => {
    const value = doc.getMetaData(`info:${key}`)?.trim();
    return value ? value : undefined;
  };
  const entries = {
    title: field('Title'),
    author: field('Author'),
    producer: field('Producer'),
    creator: field('Creator'),
    subject: field('Subject'),
  };
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined));
}

/** Whether `%PDF-` stands in the first KiB, where readers accept it. */
export function hasPdfHeader(data: Uint8Array): boolean {
  return Buffer.from(data.buffer, data.byteOffset, Math.min(data.length, HEADER_SEARCH_BYTES)).includes('%PDF-');
}

function hasEofMarker(data: Uint8Array): boolean {
  const start = Math.max(0, data.length - TRAILER_SEARCH_BYTES);
  return Buffer.from(data.buffer, data.byteOffset + start, data.length - start).includes('%%EOF');
}

export function describeStart(data: Uint8Array): string {
  const head = Buffer.from(data.buffer, data.byteOffset, Math.min(data.length, 12)).toString('latin1');
  return JSON.stringify(head.replace(/[^\x20-\x7e]/g, '.'));
}
