import { createHash } from 'node:crypto';
import type * as mupdf from 'mupdf';
import { isEngineFault, pdfEngine, replaceEngine } from './pdf-engine.ts';
import { type EmulatedModel, pageTokensAt } from './catalogue.ts';
import { type DocumentTruth, readDocumentTruth, readPageSpans, readXmpTruth } from './document-truth.ts';
import { readText } from './read-text.ts';
import { countTextTokens } from './tokenizer.ts';

/** A generateContent body after proto3 JSON reading (camelCase names only). */
export interface GenerateRequest {
  readonly contents?: ReadonlyArray<{ readonly parts?: ReadonlyArray<Part>; readonly role?: string }>;
  readonly systemInstruction?: { readonly parts?: ReadonlyArray<Part> };
  readonly generationConfig?: {
    readonly maxOutputTokens?: number;
    readonly responseMimeType?: string;
    readonly responseSchema?: unknown;
    readonly responseJsonSchema?: unknown;
    readonly thinkingConfig?: { readonly thinkingBudget?: number; readonly thinkingLevel?: string; readonly includeThoughts?: boolean };
    /** `MEDIA_RESOLUTION_LOW` | `_MEDIUM` | `_HIGH`: how finely Gemini 3 reads media (and what a page costs). */
    readonly mediaResolution?: string;
  };
  readonly serviceTier?: string;
}

interface Part {
  readonly text?: string;
  readonly inlineData?: { readonly mimeType?: string; readonly data?: string };
  /** Gemini 3's per-part media resolution (it overrides the request's). */
  readonly mediaResolution?: { readonly level?: string };
}

/**
 * The document as a model understands it. `label` is the class the document names for itself
 * (ground truth), or a kind word read from its text ("invoice"), matched later against whatever
 * classes the request's schema offers.
 */
export interface Understanding {
  readonly label: string;
  readonly confidence: number;
  readonly fields: Readonly<Record<string, unknown>>;
  /** The documents the pages hold, in order, with each one's class: what a model asked to split the file answers. */
  readonly documents: readonly DocumentSpan[];
}

/** One document among a PDF's pages, counted from 1 in the PDF sent. */
export interface DocumentSpan {
  readonly first_page: number;
  readonly last_page: number;
  readonly label: string;
}

export type Modality = 'TEXT' | 'DOCUMENT' | 'IMAGE';

export interface RequestReading {
  readonly promptTokens: number;
  readonly tokensByModality: Readonly<Record<Modality, number>>;
  readonly understanding: Understanding;
  /** Stable digest of the content, seeding anything random about the answer. */
  readonly digest: string;
}

export class UnreadablePdfError extends Error {}

/** The PDF engine is being replaced after a trap: Google's answer for such a moment is a 500, retried by clients. */
export class EngineRestarting extends Error {}

interface PdfReading {
  readonly pages: number;
  readonly text: string;
  readonly truth: DocumentTruth | undefined;
  /** Runs of pages that say they belong to one document (page-level truth), when the pages say so. */
  readonly spans: ReadonlyArray<{ readonly first: number; readonly last: number; readonly truth: DocumentTruth }>;
}

/** Image types Gemini reads (image-understanding page: PNG, JPEG, WebP, HEIC, HEIF; searched 2026-12-07). */
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/jpg', 'image/webp', 'image/heic', 'image/heif']);
/**
 * 2.x bills an image with both sides ≤ 384 px as 258 tokens, a larger one 258 a 768×768 tile; Gemini
 * 3 by media resolution, HIGH for images when the request names none (tokens and media-resolution
 * pages, searched 2026-12-07).
 */
const TOKENS_PER_TILE = 258;
const SMALL_IMAGE_SIDE = 384;
const TILE_SIDE = 768;

// The emulator reads whatever it is sent, damaged or not; MuPDF's repair chatter is noise here.

/** Parsing a PDF is the costly part; a retried request repeats the same bytes. */
const pdfCache = new Map<string, PdfReading>();
const PDF_CACHE_ENTRIES = 512;

/**
 * Reads a request like a model would: PDFs through MuPDF (the truth they carry about themselves,
 * else their text), text parts as text; the document is the PDF if there is one, else the longest
 * text part (the question is the short one). Usage is counted the way the model bills it: its
 * tokens per PDF page, a tokenizer-like count for text, the system instruction included.
 */
export function readRequest(body: GenerateRequest, model: EmulatedModel): RequestReading {
  const parts = [...(body.systemInstruction?.parts ?? []), ...(body.contents ?? []).flatMap((content) => content.parts ?? [])];
  const texts: string[] = [];
  const pdfs: PdfReading[] = [];
  const imageTruths: DocumentTruth[] = [];
  const digest = createHash('sha256');
  const tokens: Record<Modality, number> = { TEXT: 0, DOCUMENT: 0, IMAGE: 0 };
  for (const part of parts) {
    if (typeof part.text === 'string') {
      texts.push(part.text);
      tokens.TEXT += countTextTokens(part.text);
      digest.update(part.text);
    } else if (part.inlineData?.data) {
      digest.update(part.inlineData.data);
      const mimeType = part.inlineData.mimeType ?? '';
      if (mimeType === 'application/pdf') {
        const pdf = readPdf(part.inlineData.data);
        pdfs.push(pdf);
        // Gemini 3 reads a page at the part's media resolution, else the request's (MEDIUM for PDFs when neither says).
        tokens.DOCUMENT += pdf.pages * pageTokensAt(model.pdfPageTokens, part.mediaResolution?.level ?? body.generationConfig?.mediaResolution);
      } else if (IMAGE_TYPES.has(mimeType)) {
        const bytes = Buffer.from(part.inlineData.data, 'base64');
        const truth = readXmpTruth(bytes);
        if (truth) imageTruths.push(truth);
        tokens.IMAGE += imageTokens(model, bytes, part.mediaResolution?.level ?? body.generationConfig?.mediaResolution);
      } else {
        throw new UnreadablePdfError(`Unsupported MIME type: ${mimeType || '(none)'}`);
      }
    }
  }
  return {
    promptTokens: tokens.TEXT + tokens.DOCUMENT + tokens.IMAGE,
    tokensByModality: tokens,
    understanding: understand(pdfs, imageTruths, texts),
    digest: digest.digest('hex'),
  };
}

function understand(pdfs: readonly PdfReading[], imageTruths: readonly DocumentTruth[], texts: readonly string[]): Understanding {
  const pdf = pdfs[0];
  const truth = pdfs.find((reading) => reading.truth)?.truth ?? imageTruths[0];
  // Asked what one document is, a model shown several answers for the first.
  const spans = pdf?.spans.length ? pdf.spans : undefined;
  const wholeFile = (label: string) => [{ first_page: 1, last_page: pdf?.pages ?? 1, label }];
  if (spans) {
    const first = spans[0]!.truth;
    const documents = spans.map((span) => ({ first_page: span.first, last_page: span.last, label: span.truth.class }));
    return { label: first.class, confidence: 0.97, fields: first.fields, documents };
  }
  if (truth) return { label: truth.class, confidence: 0.97, fields: truth.fields, documents: wholeFile(truth.class) };
  const documentText = pdfs.length > 0 ? pdfs.map((reading) => reading.text).join('\n') : ([...texts].sort((a, b) => b.length - a.length)[0] ?? '');
  const reading = readText(documentText);
  return { label: reading.kind, confidence: reading.confidence, fields: reading.fields, documents: wholeFile(reading.kind) };
}

/** What an image part costs, by the model's published rule; its size read by MuPDF (258 a tile when MuPDF cannot read it: WebP, HEIC). */
function imageTokens(model: EmulatedModel, bytes: Buffer, resolution: string | undefined): number {
  if (typeof model.pdfPageTokens !== 'number') return pageTokensAt(model.pdfPageTokens, resolution ?? 'MEDIA_RESOLUTION_HIGH');
  const size = imageSize(bytes);
  if (!size || (size.width <= SMALL_IMAGE_SIDE && size.height <= SMALL_IMAGE_SIDE)) return TOKENS_PER_TILE;
  return Math.ceil(size.width / TILE_SIDE) * Math.ceil(size.height / TILE_SIDE) * TOKENS_PER_TILE;
}

function imageSize(bytes: Buffer): { width: number; height: number } | undefined {
  const engine = pdfEngine();
  if (!engine) return undefined;
  try {
    const image = new engine.Image(bytes);
    const size = { width: image.getWidth(), height: image.getHeight() };
    image.destroy();
    return size;
  } catch {
    return undefined;
  }
}

function readPdf(base64: string): PdfReading {
  const key = createHash('sha256').update(base64).digest('hex');
  const cached = pdfCache.get(key);
  if (cached) return cached;
  const engine = pdfEngine();
  if (!engine) throw new EngineRestarting('the PDF engine is being replaced');
  let doc: mupdf.PDFDocument | undefined;
  try {
    doc = new engine.PDFDocument(Buffer.from(base64, 'base64'));
    if (doc.needsPassword()) throw new UnreadablePdfError('The document is password protected.');
    const pages = doc.countPages();
    if (pages === 0) throw new UnreadablePdfError('The document has no pages.');
    // With ground truth there is nothing to read: the text only feeds the reading of other documents.
    const spans = readPageSpans(doc, pages);
    const truth = spans[0]?.truth ?? readDocumentTruth(doc);
    const texts: string[] = [];
    for (let index = 0; index < (truth ? 0 : Math.min(pages, 20)); index++) {
      const page = doc.loadPage(index);
      const stext = page.toStructuredText('preserve-whitespace');
      texts.push(stext.asText());
      stext.destroy();
      page.destroy();
    }
    const reading = { pages, text: texts.join('\n'), truth, spans };
    if (pdfCache.size >= PDF_CACHE_ENTRIES) pdfCache.delete(pdfCache.keys().next().value!);
    pdfCache.set(key, reading);
    return reading;
  } catch (error) {
    if (error instanceof UnreadablePdfError) throw error;
    if (isEngineFault(error)) replaceEngine();
    throw new UnreadablePdfError('Unable to process input document: the PDF could not be parsed.');
  } finally {
    doc?.destroy();
  }
}
