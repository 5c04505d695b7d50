import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { readEInvoiceXml } from './einvoice/read-xml.ts';
import { readByRules } from '../offline/rules.ts';
import { containerKind, listParts, openPart } from './containers/parts.ts';
import { htmlToPdf } from './html-pages.ts';
import { MAX_OCR_SOURCE_SIDE, MAX_SENT_SIDE, readImageWindow } from './image/image-window.ts';
import { IMAGE_NAME, type ImageFormat, sniffImage } from './image/sniff.ts';
import { type OcrReading, readPagesByOcr } from './ocr.ts';
import { describeStart, hasPdfHeader, readPdfWindow } from './pdf-window.ts';
import {
  CHARS_PER_TOKEN,
  type HashResult,
  PDF_TOKENS_PER_PAGE,
  type PrepareFailed,
  type PrepareResult,
  type PrepareTask,
  type ExpandResult,
  type ContainerFailureCode,
} from './protocol.ts';
import { startsAsXml } from './xml-sniff.ts';
import { readBundleCues } from './split/page-cues.ts';
import { readCandidate, type ReadOutcome } from './read-file.ts';

/** Fewer visible characters than this per page means the window has no usable text layer. */
const MIN_TEXT_CHARS_PER_PAGE = 20;

/**
 * The prepare task of DESIGN §3 as a plain function: read, hash, open, check, take the first
 * pages. It never throws for a bad file; every failure is a coded result. It runs inside a
 * Piscina worker in production and can be called in-process by unit tests.
 */
export async function prepareFile(task: PrepareTask): Promise<PrepareResult> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;

  const read = readCandidate(task.path, task.maxFileBytes);
  if (!read.ok) return readFailed(read, elapsed());
  const document = await documentIn(task, read.data);
  if (!document.ok) return { kind: 'failed', code: document.code, message: document.message, ms: elapsed() };
  const { name, data } = document;
  const sha256 = createHash('sha256').update(data).digest('hex');

  const xml = xmlInput(name, data);
  if (xml === 'named' && !task.readEInvoice) return skippedXml(sha256, data.length, elapsed());
  if (xml && task.readEInvoice) return prepareXml(data, sha256, name, xml, elapsed);
  const pdfHeader = hasPdfHeader(data);
  const image = pdfHeader ? undefined : sniffImage(data);
  if (image) return prepareImage(task, data, sha256, image, elapsed);
  if (IMAGE_NAME.test(name) && !pdfHeader) {
    const message = `named like an image, but its first bytes are no JPEG, PNG, TIFF, WebP, HEIC, GIF or BMP (starts with ${describeStart(data)})`;
    return { kind: 'failed', code: 'IMAGE_CORRUPT', message, sha256, bytes: data.length, ms: elapsed() };
  }
  const html = /\.html?$/i.test(name) && !pdfHeader;
  // A mail's body is laid out on pages here and read like any PDF; its bytes (the HTML) stay its identity.
  const pdf = html ? htmlToPdf(data, task.pageWindow) : data;
  const outcome = readPdfWindow(pdf, {
    pageWindow: task.pageWindow,
    buildSubset: task.buildSubset,
    readEInvoice: task.readEInvoice === true,
    ...(task.range ? { range: task.range } : {}),
    // A mail's body is one document, however many pages it is laid out on.
    ...(task.split && !html ? { splitAbove: task.split.minPages } : {}),
  });
  if (!outcome.ok) {
    return { kind: 'failed', code: outcome.code, message: outcome.message, sha256, bytes: data.length, ms: elapsed() };
  }
  const { window } = outcome;
  const visibleChars = window.text.replace(/\s+/g, '').length;
  const hasTextLayer = visibleChars >= MIN_TEXT_CHARS_PER_PAGE * window.windowPages;
  // A scan: its pages are read by OCR when the offline rules need text (Gemini reads the pages themselves).
  // One that may hold several documents has its window read whole and the pages after it only at
  // their head and foot, for the cues (each document found is then read on its own).
  const ocr = !hasTextLayer && task.ocr ? await readPagesByOcr(pdf, window.pages?.read ?? window.windowPages, window.firstPage, window.windowPages) : undefined;
  const { text, ...fromOcr } = textOf(ocr && { ...ocr, texts: ocr.texts.slice(0, window.windowPages) }, window.text, window.warnings);
  return {
    kind: 'prepared',
    format: html ? 'html' : 'pdf',
    sha256,
    bytes: data.length,
    pageCount: window.pageCount,
    windowPages: window.windowPages,
    subset: window.subset,
    text,
    hasTextLayer,
    metadata: window.metadata,
    tokens: {
      pdf: window.windowPages * PDF_TOKENS_PER_PAGE,
      text: Math.ceil(window.text.length / CHARS_PER_TOKEN),
    },
    ...(task.readRules ? { rules: readByRules(text) } : {}),
    ...(window.einvoice ? { einvoice: window.einvoice } : {}),
    ...(window.pages
      ? {
          bundle: {
            cues: ocr ? readBundleCues(ocr.texts) : window.pages.cues,
            subset: window.pages.subset,
            pages: window.pages.read,
          },
        }
      : {}),
    ...fromOcr,
    ...(ocr ? { ocrPages: ocr.texts.length } : {}),
    ms: elapsed(),
  };
}

/**
 * A photo or scan: its frames become PDF pages (upright, bounded), sent like any PDF's window. It
 * has no text layer; its text is read by OCR when the task asks.
 */
async function prepareImage(task: PrepareTask, data: Uint8Array, sha256: string, format: ImageFormat, elapsed: () => number): Promise<PrepareResult> {
  // Pages read by OCR are kept finer: nothing is sent, and Tesseract reads small print better.
  const outcome = await readImageWindow(data, format, task.pageWindow, task.ocr ? MAX_OCR_SOURCE_SIDE : MAX_SENT_SIDE);
  if (!outcome.ok) return { kind: 'failed', code: outcome.code, message: outcome.message, sha256, bytes: data.length, ms: elapsed() };
  const { window } = outcome;
  const ocr = task.ocr ? await readPagesByOcr(window.pdf, window.windowPages) : undefined;
  const { text, ...fromOcr } = textOf(ocr, '', []);
  return {
    kind: 'prepared',
    format,
    sha256,
    bytes: data.length,
    pageCount: window.pageCount,
    windowPages: window.windowPages,
    subset: task.buildSubset ? window.pdf : new Uint8Array(0),
    text,
    hasTextLayer: false,
    metadata: {},
    tokens: { pdf: window.windowPages * PDF_TOKENS_PER_PAGE, text: 0 },
    ...(task.readRules ? { rules: readByRules(text) } : {}),
    ...fromOcr,
    ms: elapsed(),
  };
}

/** The window's text, or what OCR read of its pages instead (with how many, and why any were left). */
function textOf(ocr: OcrReading | undefined, layer: string, warnings: readonly string[]): { text: string; ocrPages?: number; warnings: readonly string[] } {
  if (!ocr) return { text: layer, warnings };
  return { text: ocr.texts.join('\n\f\n'), ocrPages: ocr.texts.length, warnings: ocr.warning ? [...warnings, ocr.warning] : warnings };
}

/**
 * The document a task is about: the file, or the part of it the task names (an attachment, an
 * archive member). A container reached without a part was never listed: it is no document itself.
 */
async function documentIn(
  task: PrepareTask,
  data: Buffer,
): Promise<{ ok: true; name: string; data: Uint8Array } | { ok: false; code: PrepareFailed['code']; message: string }> {
  const kind = containerKind(basename(task.path), data);
  if (task.part === undefined) {
    if (!kind) return { ok: true, name: task.path, data };
    return { ok: false, code: 'CONTAINER_CORRUPT', message: 'a ZIP or mail holds documents, and is not one: its parts are read one by one' };
  }
  if (!kind)
    return { ok: false, code: 'CONTAINER_CORRUPT', message: `asked for part ${task.part} of a file that is no ZIP or mail (it changed since it was listed?)` };
  const opened = await openPart(data, kind, task.part, task.maxFileBytes);
  return opened.ok ? { ok: true, name: opened.name, data: opened.data } : opened;
}

/** A container's parts (named task `expand`): every document inside with its content hash, and the parts that are none. */
export async function expandFile(task: PrepareTask): Promise<ExpandResult> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  const read = readCandidate(task.path, task.maxFileBytes);
  if (!read.ok) return readFailed(read, elapsed());
  // The container's own hash names only its failed record: a listed one is answered part by part.
  const failed = (code: ContainerFailureCode, message: string): PrepareFailed => {
    const sha256 = createHash('sha256').update(read.data).digest('hex');
    return { kind: 'failed', code, message, sha256, bytes: read.data.length, ms: elapsed() };
  };
  const kind = containerKind(basename(task.path), read.data);
  if (!kind) return failed('CONTAINER_CORRUPT', 'named like a ZIP or an Outlook .msg, but its first bytes are neither');
  const listing = await listParts(read.data, kind, task.maxFileBytes);
  if (!listing.ok) return failed(listing.code, listing.message);
  return { kind: 'expanded', parts: listing.parts, ms: elapsed() };
}

/** Reads and hashes a file, with the same checks and failure codes as `prepareFile`, and nothing more. */
export function hashFile(task: PrepareTask): HashResult {
  const started = performance.now();
  const read = readCandidate(task.path, task.maxFileBytes);
  const ms = Math.round((performance.now() - started) * 10) / 10;
  if (!read.ok) return readFailed(read, ms);
  return { kind: 'hashed', sha256: createHash('sha256').update(read.data).digest('hex'), bytes: read.data.length, ms };
}

function readFailed(read: Extract<ReadOutcome, { ok: false }>, ms: number): PrepareFailed {
  return { kind: 'failed', code: read.code, message: read.message, ...(read.bytes === undefined ? {} : { bytes: read.bytes }), ms };
}

/**
 * An XML input: `named` when its name ends in .xml, `sniffed` when only its first bytes say so (an
 * e-invoice saved under another name, or a download's XML error page saved as .pdf).
 */
function xmlInput(path: string, data: Uint8Array): 'named' | 'sniffed' | undefined {
  if (/\.xml$/i.test(path)) return 'named';
  return startsAsXml(data) ? 'sniffed' : undefined;
}

function skippedXml(sha256: string, bytes: number, ms: number): PrepareFailed {
  const message = 'an XML file, and e-invoices are not read (--e-invoice ignore, or a profile that maps no e-invoice terms)';
  return { kind: 'failed', code: 'XML_NOT_READ', message, sha256, bytes, ms };
}

/** A standalone e-invoice: no pages and no text; its answer comes from the XML alone. */
function prepareXml(data: Uint8Array, sha256: string, path: string, xmlBy: 'named' | 'sniffed', elapsed: () => number): PrepareResult {
  const xml = Buffer.from(data.buffer, data.byteOffset, data.length).toString('utf8');
  const reading = readEInvoiceXml(xml, basename(path));
  const failed = (code: 'NOT_AN_EINVOICE' | 'NOT_A_PDF' | 'EINVOICE_INVALID', message: string): PrepareFailed => ({
    kind: 'failed',
    code,
    message,
    sha256,
    bytes: data.length,
    ms: elapsed(),
  });
  // An XML file named like a PDF that is no e-invoice is a broken PDF (an S3 or portal error page), not a file to skip.
  if (!reading && xmlBy === 'sniffed') return failed('NOT_A_PDF', 'an XML file (no `%PDF-` header) that is not an e-invoice: an error page saved as a PDF?');
  if (!reading)
    return failed('NOT_AN_EINVOICE', 'an XML file that is not an e-invoice (CII, ZUGFeRD 1.0, UBL Invoice or CreditNote); docpool reads no other XML');
  if (!reading.ok) return failed('EINVOICE_INVALID', `an e-invoice docpool cannot use: ${reading.reason}`);
  return {
    kind: 'prepared',
    format: 'xml',
    sha256,
    bytes: data.length,
    pageCount: 0,
    windowPages: 0,
    subset: new Uint8Array(0),
    text: '',
    hasTextLayer: false,
    metadata: {},
    tokens: { pdf: 0, text: 0 },
    einvoice: reading,
    warnings: [],
    ms: elapsed(),
  };
}
