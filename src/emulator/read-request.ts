import { createHash } from 'node:crypto';
import * as mupdf from 'mupdf';
import { type GroundTruth, readTruth } from '../corpus/truth.ts';
import { readByRules } from '../offline/rules.ts';
import { CHARS_PER_TOKEN, PDF_TOKENS_PER_PAGE } from '../workers/protocol.ts';

/** What a generateContent request body looks like, as far as the emulator reads it. */
export interface GenerateRequest {
  readonly contents?: ReadonlyArray<{ readonly parts?: ReadonlyArray<Part>; readonly role?: string }>;
  readonly systemInstruction?: { readonly parts?: ReadonlyArray<Part> };
  readonly generationConfig?: {
    readonly maxOutputTokens?: number;
    readonly responseMimeType?: string;
    readonly responseSchema?: unknown;
    readonly responseJsonSchema?: unknown;
    readonly thinkingConfig?: { readonly thinkingBudget?: number };
  };
}

interface Part {
  readonly text?: string;
  readonly inlineData?: { readonly mimeType?: string; readonly data?: string };
}

/** The document as a model would understand it: the class, fields and how sure it is. */
export interface Understanding {
  readonly label: string;
  readonly confidence: number;
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface RequestReading {
  readonly promptTokens: number;
  readonly tokensByModality: Readonly<Record<'TEXT' | 'DOCUMENT', number>>;
  readonly understanding: Understanding;
  /** Stable digest of the content, seeding anything random about the answer. */
  readonly digest: string;
}

export class UnreadablePdfError extends Error {}

interface PdfReading {
  readonly pages: number;
  readonly text: string;
  readonly truth: GroundTruth | undefined;
}

// The emulator reads whatever it is sent, damaged or not; MuPDF's repair chatter is noise here.
mupdf.setLog({ error: () => {}, warning: () => {} });

/** Parsing a PDF is the costly part; a retried request repeats the same bytes. */
const pdfCache = new Map<string, PdfReading>();
const PDF_CACHE_ENTRIES = 512;

/**
 * Reads a request like a model would: PDFs through MuPDF (their embedded ground truth when the
 * corpus generator made them, else their text), text parts as text. The document is the PDF if
 * there is one, else the longest text part (the prompt is the short one). Tokens are counted the
 * way Gemini 2.x bills them: 258 per PDF page, about 4 characters per text token.
 */
export function readRequest(body: GenerateRequest): RequestReading {
  const parts = [...(body.systemInstruction?.parts ?? []), ...(body.contents ?? []).flatMap((content) => content.parts ?? [])];
  const texts: string[] = [];
  const pdfs: PdfReading[] = [];
  const digest = createHash('sha256');
  let textTokens = 0;
  for (const part of parts) {
    if (typeof part.text === 'string') {
      texts.push(part.text);
      textTokens += Math.ceil(part.text.length / CHARS_PER_TOKEN);
      digest.update(part.text);
    } else if (part.inlineData?.data) {
      digest.update(part.inlineData.data);
      if (part.inlineData.mimeType === 'application/pdf') pdfs.push(readPdf(part.inlineData.data));
    }
  }
  const pdfTokens = pdfs.reduce((sum, pdf) => sum + pdf.pages * PDF_TOKENS_PER_PAGE, 0);
  return {
    promptTokens: textTokens + pdfTokens,
    tokensByModality: { TEXT: textTokens, DOCUMENT: pdfTokens },
    understanding: understand(pdfs, texts),
    digest: digest.digest('hex'),
  };
}

function understand(pdfs: readonly PdfReading[], texts: readonly string[]): Understanding {
  const truth = pdfs.find((pdf) => pdf.truth)?.truth;
  if (truth) return { label: truth.class, confidence: 0.97, fields: truth.fields };
  const documentText = pdfs.length > 0 ? pdfs.map((pdf) => pdf.text).join('\n') : [...texts].sort((a, b) => b.length - a.length)[0] ?? '';
  const reading = readByRules(documentText);
  return { label: reading.label, confidence: reading.confidence, fields: reading.fields };
}

function readPdf(base64: string): PdfReading {
  const key = createHash('sha256').update(base64).digest('hex');
  const cached = pdfCache.get(key);
  if (cached) return cached;
  let doc: mupdf.PDFDocument | undefined;
  try {
    doc = new mupdf.PDFDocument(Buffer.from(base64, 'base64'));
    if (doc.needsPassword()) throw new UnreadablePdfError('The document is password protected.');
    const pages = doc.countPages();
    if (pages === 0) throw new UnreadablePdfError('The document has no pages.');
    // With ground truth there is nothing to read: the text only feeds the rules.
    const truth = readTruth(doc);
    const texts: string[] = [];
    for (let index = 0; index < (truth ? 0 : Math.min(pages, 20)); index++) {
      const page = doc.loadPage(index);
      const stext = page.toStructuredText('preserve-whitespace');
      texts.push(stext.asText());
      stext.destroy();
      page.destroy();
    }
    const reading = { pages, text: texts.join('\n'), truth };
    if (pdfCache.size >= PDF_CACHE_ENTRIES) pdfCache.delete(pdfCache.keys().next().value!);
    pdfCache.set(key, reading);
    return reading;
  } catch (error) {
    if (error instanceof UnreadablePdfError) throw error;
    throw new UnreadablePdfError('Unable to process input document: the PDF could not be parsed.');
  } finally {
    doc?.destroy();
  }
}
