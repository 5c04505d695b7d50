import { z } from 'zod';
import type { Bundle, PageRange } from '../../workers/protocol.ts';
import type { ResponseSchema } from '../profiles/response-schema.ts';
import type { Profile } from '../profiles/profile.ts';
import { type StepResult, ZERO_USAGE } from '../state/record.ts';

/**
 * Bump when the page cues (src/workers/split/page-cues.ts) change where they split: part of every
 * split step's fingerprint, since a file the cues are sure of is never shown to a model.
 */
export const PAGE_CUES_VERSION = 1;

export const SPLIT_QUESTION =
  'This PDF may hold several separate documents one after another (receipts, invoices, an expense report and its receipts). List every document in page order with its first and last page (counted from 1) and its class.';

/** The split request's answer: each document's pages and class. */
export function splitSchema(profile: Profile): ResponseSchema {
  return {
    type: 'OBJECT',
    properties: {
      documents: {
        type: 'ARRAY',
        items: {
          type: 'OBJECT',
          properties: {
            first_page: { type: 'INTEGER' },
            last_page: { type: 'INTEGER' },
            label: { type: 'STRING', enum: profile.classes.map((entry) => entry.name) },
          },
          required: ['first_page', 'last_page', 'label'],
        },
      },
    },
    required: ['documents'],
  };
}

/** A split step's stored answer: the ranges, from the cues or a model. */
export interface SplitAnswer {
  readonly documents: ReadonlyArray<PageRange & { readonly label?: string }>;
}

const splitAnswerSchema = z.object({
  documents: z
    .array(z.object({ from: z.number().int().positive(), to: z.number().int().positive(), label: z.string().optional() }))
    .min(1)
    .refine((documents) => documents.every((document, index) => document.from <= document.to && document.from === (documents[index - 1]?.to ?? 0) + 1), {
      message: 'ranges must follow each other from page 1',
    }),
});

/** Why a stored split answer cannot be used, or undefined. */
export function splitAnswerProblem(fields: unknown): string | undefined {
  const parsed = splitAnswerSchema.safeParse(fields);
  return parsed.success ? undefined : `its documents: ${parsed.error.issues[0]!.message}`;
}

/** The ranges a split answer holds (checked when it was stored or read). */
export function rangesOf(result: StepResult): readonly PageRange[] {
  return ((result.fields as unknown as SplitAnswer).documents ?? []).map(({ from, to }) => ({ from, to }));
}

/**
 * A model's list made into ranges that cover the file: only where each document starts is taken
 * (page 1 always does), and each runs to the page before the next. Pages a model left out join the
 * document before them; the last runs to the end of the file (past the pages shown, if it is longer).
 */
export function coveringRanges(starts: readonly number[], labels: ReadonlyMap<number, string>, filePages: number, shownPages: number): SplitAnswer {
  const firsts = [...new Set([1, ...starts.filter((page) => Number.isInteger(page) && page >= 1 && page <= shownPages)])].sort((a, b) => a - b);
  return {
    documents: firsts.map((from, index) => {
      const label = labels.get(from);
      return { from, to: (firsts[index + 1] ?? filePages + 1) - 1, ...(label ? { label } : {}) };
    }),
  };
}

/** The cues' ranges as a split step's answer, asking nobody. */
export function cueResult(bundle: Bundle, filePages: number): StepResult {
  const starts = bundle.cues.ranges.map((range) => range.from);
  return {
    step: 'split',
    source: 'offline',
    model: `page-cues-v${PAGE_CUES_VERSION}`,
    fields: coveringRanges(starts, new Map(), filePages, bundle.pages) as unknown as Record<string, unknown>,
    usage: ZERO_USAGE,
    at: Date.now(),
  };
}

/** The split of a file of one document (a part read whole): kept so a re-run need not read it to know. */
export function oneDocument(pages: number): StepResult {
  return {
    step: 'split',
    source: 'offline',
    model: 'page-count',
    fields: { documents: [{ from: 1, to: Math.max(1, pages) }] },
    usage: ZERO_USAGE,
    at: Date.now(),
  };
}

/** How a document split off a file is named in its record and its resume state: `pages 3-5`, or `page 4`. */
export function rangeName(range: PageRange): string {
  return range.from === range.to ? `page ${range.from}` : `pages ${range.from}-${range.to}`;
}

/** The identity of a document split off a file, for the cache: the file's content hash and the pages. */
export function rangeIdentity(sha256: string, range: PageRange): string {
  return `${sha256}:${range.from}-${range.to}`;
}
