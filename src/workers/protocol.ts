/**
 * The typed boundary between the main thread and the prepare workers.
 * Both sides import these types; nothing crosses a thread untyped.
 */
import type { EInvoiceReading } from './einvoice/facts.ts';
import type { RuleReading } from '../offline/rules.ts';
import type { ImageFormat } from './image/sniff.ts';

/** Why a file could not be prepared. Each damaged-file symptom has its own code (DESIGN §3). */
export type PrepareFailureCode =
  | 'FILE_NOT_FOUND' // vanished between discovery and prepare
  | 'FILE_UNREADABLE' // permission denied, or a directory/device where a file was expected
  | 'FILE_EMPTY' // zero bytes
  | 'FILE_TOO_LARGE' // over the configured size limit; not read at all
  | 'NOT_A_PDF' // no `%PDF-` header near the start
  | 'PDF_TRUNCATED' // no %%EOF trailer: the end of the file is missing
  | 'PDF_CORRUPT' // MuPDF cannot parse the structure or the pages
  | 'PDF_ENCRYPTED' // a user password is needed to read it
  | 'PDF_NO_PAGES' // parses, but holds zero pages
  | 'PDF_TIMEOUT' // the task exceeded its deadline; the worker was replaced
  | 'NOT_AN_EINVOICE' // an .xml input that is no e-invoice (CII, ZUGFeRD 1, UBL Invoice or CreditNote): skipped, not failed
  | 'XML_NOT_READ' // an .xml input while e-invoices are not read: skipped, not failed
  | 'EINVOICE_INVALID' // an .xml e-invoice that cannot be used: not well-formed, a DTD, too large or deep, required terms missing
  | 'PDF_DECOMPRESSION_BOMB' // the first pages' streams would inflate past the per-document budget
  | 'IMAGE_CORRUPT' // an image (by its name or its first bytes) that cannot be decoded
  | 'IMAGE_TOO_LARGE' // an image frame over the pixel bound, refused before decoding (a decompression bomb)
  | 'CONTAINER_CORRUPT' // a ZIP, .eml or .msg that cannot be parsed
  | 'CONTAINER_TOO_MANY_PARTS' // over 1,000 attachments or members: not expanded
  | 'PART_UNSAFE_NAME' // an archive member whose name would leave its folder (`../`, an absolute path)
  | 'PART_ENCRYPTED' // an encrypted archive member
  | 'PART_TOO_LARGE' // a member or attachment over the size limit, or inflating past what it declares (a ZIP bomb)
  | 'PART_CORRUPT' // a member whose data is damaged, or a container nested too deep
  | 'PART_NOT_READ' // an attachment or member that is no document docpool reads: skipped, not failed
  | 'PDF_ENGINE_FAULT' // the document trapped MuPDF's WASM (stack overflow, out-of-bounds access); the worker was replaced
  | 'WORKER_CRASHED'; // the worker thread died while on this file

export interface PrepareTask {
  readonly path: string;
  /** A document inside the file (an attachment, an archive member), by the index its listing gave. */
  readonly part?: string;
  /** How many leading pages to keep in the subset and extract text from (of the range, when one is given). */
  readonly pageWindow: number;
  /** One document of a file that holds several: its pages, the window taken from its first. */
  readonly range?: PageRange;
  /**
   * Find the documents in a file of more than `minPages` pages (and no range): every page's text
   * (up to MAX_SPLIT_PAGES) read for the cues, and the pages grafted for a model to split.
   */
  readonly split?: { readonly minPages: number };
  /** Files above this size fail with FILE_TOO_LARGE before being read. */
  readonly maxFileBytes: number;
  /** Skip building the subset PDF (estimate needs counts and text only). */
  readonly buildSubset: boolean;
  /**
   * Read the window's text with the offline rules here, under the task's deadline, instead of on
   * the main thread (the offline provider, `--fallback offline` and `estimate` need them).
   */
  readonly readRules?: boolean;
  /** Read pages without a text layer (scans, photos) by OCR, for the offline rules. */
  readonly ocr?: boolean;
  /** Look for an e-invoice (a Factur-X/ZUGFeRD attachment, or the file itself when it is XML). */
  readonly readEInvoice?: boolean;
  /**
   * Test-only fault injection, honoured only when DOCPOOL_FAULT_INJECTION=1 is set in the
   * environment, so the timeout and crash paths can be exercised with the real pool. A file
   * named `*.docpool-fault-crash.*` or `*.docpool-fault-hang.*` asks for the same from the CLI.
   */
  readonly fault?: 'hang' | 'crash';
}

export interface PdfMetadata {
  readonly title?: string;
  readonly author?: string;
  readonly producer?: string;
  readonly creator?: string;
  readonly subject?: string;
}

/** What a file is, by its content: a PDF, an XML e-invoice, or an image made into PDF pages. */
export type InputFormat = 'pdf' | 'xml' | 'html' | ImageFormat;

export interface PreparedFile {
  readonly kind: 'prepared';
  readonly format: InputFormat;
  readonly sha256: string;
  readonly bytes: number;
  readonly pageCount: number;
  /** Pages actually in the window (min(pageCount, pageWindow)). */
  readonly windowPages: number;
  /** First-N-page PDF built by grafting; empty when buildSubset was false. Moved, not copied. */
  readonly subset: Uint8Array;
  readonly text: string;
  /** True when the window's text has enough characters to be a real text layer. */
  readonly hasTextLayer: boolean;
  /** Pages whose text was read by OCR (the window had no text layer and the task asked for it). */
  readonly ocrPages?: number;
  readonly metadata: PdfMetadata;
  /** Input-token estimates for sending the window as a PDF or as text. */
  readonly tokens: { readonly pdf: number; readonly text: number };
  /** The offline rules' reading of the text, when the task asked for it. */
  readonly rules?: RuleReading;
  /** The e-invoice the file is or carries, when the task asked and there is one. */
  readonly einvoice?: EInvoiceReading;
  /** Non-fatal oddities, e.g. pages inside the window that could not be read. */
  readonly warnings: readonly string[];
  /** A file of more pages than the task's split threshold: what its pages say of the documents in it. */
  readonly bundle?: Bundle;
  readonly ms: number;
}

/** Pages `from`..`to` of a file, counted from 1, both included. */
export interface PageRange {
  readonly from: number;
  readonly to: number;
}

/** A file that may hold several documents: where its pages' cues put them, and its pages for a model to split. */
export interface Bundle {
  /** The documents the page counters, titles and invoice numbers find; `sure` when every page is counted. */
  readonly cues: { readonly ranges: readonly PageRange[]; readonly sure: boolean };
  /** The pages read, grafted for a model, when the cues are unsure and the task builds subsets (else empty). Moved, not copied. */
  readonly subset: Uint8Array;
  /** Pages the cues speak for (at most MAX_SPLIT_PAGES read, or the whole file when its first and last page's counters settle it); those in `subset` when it is built. */
  readonly pages: number;
}

/** A file is split over its first this many pages; a document running past them ends with the file. */
export const MAX_SPLIT_PAGES = 100;

export interface PrepareFailed {
  readonly kind: 'failed';
  readonly code: PrepareFailureCode;
  readonly message: string;
  readonly sha256?: string;
  readonly bytes?: number;
  readonly ms: number;
}

export type PrepareResult = PreparedFile | PrepareFailed;

/**
 * A file's content hash alone: what a queue coordinator needs to name the file's job (the PDF work
 * is done by whichever machine takes it).
 */
export type HashResult = { readonly kind: 'hashed'; readonly sha256: string; readonly bytes: number; readonly ms: number } | PrepareFailed;

/** A part of a container, as its listing found it: a document (hashed), or a part that is none or cannot be read. */
export interface ListedPart {
  /** Its place: `2`, `1/0` (inside a mail attached to the mail), `body` (the mail's own text). */
  readonly index: string;
  /** Its name, folders and containers included: `fwd.eml/invoice.pdf`. */
  readonly name: string;
  /** A document: its content hash and size (its identity for the cache). */
  readonly sha256?: string;
  readonly bytes?: number;
  /** A part that is no document (skipped) or cannot be read (failed): never both with sha256. */
  readonly problem?: { readonly code: PartProblemCode; readonly message: string };
}

export type PartProblemCode = Extract<PrepareFailureCode, 'PART_UNSAFE_NAME' | 'PART_ENCRYPTED' | 'PART_TOO_LARGE' | 'PART_CORRUPT' | 'PART_NOT_READ'>;
export type ContainerFailureCode = Extract<PrepareFailureCode, 'CONTAINER_CORRUPT' | 'CONTAINER_TOO_MANY_PARTS'>;

/** A container's listing (named task `expand`): its documents, each with its content hash, and the parts that are none. */
export type ExpandResult = { readonly kind: 'expanded'; readonly parts: readonly ListedPart[]; readonly ms: number } | PrepareFailed;

/** Gemini 2.x bills every PDF page as 258 tokens, scanned or not (gemini-wire.md §7). */
export const PDF_TOKENS_PER_PAGE = 258;
/** Rough text tokenisation rate used for estimates and by the emulator: ~4 characters a token. */
export const CHARS_PER_TOKEN = 4;
