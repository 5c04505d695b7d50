/**
 * How the scripts docpool replaces handled one file: parse on the calling thread, send, and on a
 * 429 or 5xx sleep a fixed time and try again. Shared by the three baseline designs so they differ
 * only in how they schedule files. Same SDK, prompts, schemas and page window as docpool.
 */
import { readFileSync } from 'node:fs';
import { GoogleGenAI } from '@google/genai';
import * as mupdf from 'mupdf';
import { classifyInstruction, loadProfile } from '../../src/main/profiles/profile.ts';

const profile = loadProfile('finance');
const PAGES = 5;

export interface NaiveContext {
  readonly ai: GoogleGenAI;
  /** The fixed sleep after a refused request, ms (scaled with the emulator). */
  readonly retrySleepMs: number;
  readonly counters: { requests: number; rateLimited: number; files: number };
}

export function naiveContext(baseUrl: string, retrySleepMs: number): NaiveContext {
  return { ai: new GoogleGenAI({ apiKey: 'bench', httpOptions: { baseUrl } }), retrySleepMs, counters: { requests: 0, rateLimited: 0, files: 0 } };
}

/** Classify, then extract when the class calls for it; returns the label. */
export async function naiveProcess(path: string, context: NaiveContext): Promise<string | undefined> {
  let subset: string;
  try {
    subset = firstPagesBase64(readFileSync(path)); // CPU work on the caller's thread, as the old scripts did
  } catch {
    return undefined;
  }
  const part = { inlineData: { mimeType: 'application/pdf', data: subset } };
  const label = ((await ask(context, 'gemini-3.5-flash-lite', part, classifyInstruction(profile), profile.classifySchema, 0)) as { label?: string } | undefined)
    ?.label;
  const extract = label ? profile.extract[label] : undefined;
  if (extract) await ask(context, 'gemini-3.8-flash', part, extract.prompt, extract.schema, 1024);
  context.counters.files++;
  return label;
}

async function ask(context: NaiveContext, model: string, part: object, instruction: string, schema: unknown, thinkingBudget: number): Promise<unknown> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      context.counters.requests++;
      const response = await context.ai.models.generateContent({
        model,
        contents: [{ role: 'user', parts: [part as never, { text: 'Answer.' }] }],
        config: {
          systemInstruction: instruction,
          responseMimeType: 'application/json',
          responseSchema: schema,
          maxOutputTokens: 4096,
          thinkingConfig: { thinkingBudget },
        },
      });
      return JSON.parse(response.text ?? 'null');
    } catch (error) {
      if ((error as { status?: number }).status === 429) context.counters.rateLimited++;
      await new Promise((resolve) => setTimeout(resolve, context.retrySleepMs)); // the fixed sleep
    }
  }
  return undefined;
}

function firstPagesBase64(bytes: Buffer): string {
  const source = new mupdf.PDFDocument(bytes);
  const target = new mupdf.PDFDocument();
  try {
    const pages = Math.min(source.countPages(), PAGES);
    if (pages === 0) throw new Error('no pages');
    const graft = target.newGraftMap();
    for (let index = 0; index < pages; index++) graft.graftPage(-1, source, index);
    return Buffer.from(target.saveToBuffer('compress').asUint8Array()).toString('base64');
  } finally {
    source.destroy();
    target.destroy();
  }
}
