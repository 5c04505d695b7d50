import type { PageRange } from '../protocol.ts';

/** Where the documents of a file start and end, read from each page's text, and whether that reading is certain. */
export interface BundleCues {
  readonly ranges: readonly PageRange[];
  /**
   * Every page carries a page counter ("Page 2 of 3", "Seite 2 von 3", "Page 2 sur 3") and every
   * document's counters run 1..N over exactly its pages: the ranges are exact, and no model need
   * be asked. Without counters a new title or invoice number is a good guess, not a certainty.
   */
  readonly sure: boolean;
}

/**
 * "Page 2 of 3" in English, German, French, Spanish and Italian: a page word, a number, a short
 * word or a slash, a number. The short word is any 1–3 letters, as OCR reads "of" as "af" or "ol".
 */
const COUNTER = /\b(?:page|seite|pagina|página)\s*(\d{1,4})\s*(?:[a-zà-ÿ]{1,3}|\/)\s*(\d{1,4})\b/i;
/** The titles of the documents a finance team files, in English, German and French, without accents. */
const TITLES = [
  'invoice',
  'tax invoice',
  'credit note',
  'receipt',
  'sales receipt',
  'expense report',
  'expense claim',
  'account statement',
  'bank statement',
  'statement of account',
  'purchase order',
  'delivery note',
  'contract',
  'agreement',
  'rechnung',
  'gutschrift',
  'kassenbon',
  'kassenbeleg',
  'quittung',
  'reisekostenabrechnung',
  'spesenabrechnung',
  'kontoauszug',
  'bestellung',
  'lieferschein',
  'vertrag',
  'facture',
  'avoir',
  'ticket de caisse',
  'recu',
  'note de frais',
  'releve de compte',
  'bon de commande',
  'bon de livraison',
  'contrat',
];
/** An invoice's number, after its label: a new number is a new invoice. */
const INVOICE_NUMBER = /(?:invoice\s*(?:no\.?|number|#)|rechnungs(?:nummer|-?nr\.?)|n°\s*de\s*facture|facture\s*n°)\s*:?\s*([A-Z0-9][A-Z0-9\-/.]{2,})/i;
/** The lines where a title stands: the letterhead, then the title. */
const HEAD_LINES = 8;
const MAX_TITLE_CHARS = 40;
/** Letters OCR may get wrong in a title and it still reads as one ("FAGCTURE", "IFVOITE", "INVCACE"): about one in three. */
const TITLE_ERRORS_PER_LETTER = 0.3;

interface PageFacts {
  readonly counter?: { readonly page: number; readonly of: number };
  readonly titled: boolean;
  readonly invoiceNumber?: string;
}

/**
 * The documents in a file by the cues a person leafing through it would use: a page counter that
 * starts again at 1, or, on a page the counter does not claim for the document before it, a new
 * title at the top or a new invoice number. A page with none of these continues the document
 * before it.
 */
export function readBundleCues(pageTexts: readonly string[]): BundleCues {
  const facts = pageTexts.map(pageFacts);
  const starts: number[] = [];
  let expectsMore = false;
  let invoiceNumber: string | undefined;
  facts.forEach((page, index) => {
    if (index === 0 || startsDocument(page, expectsMore, invoiceNumber)) {
      starts.push(index);
      invoiceNumber = undefined;
    }
    invoiceNumber ??= page.invoiceNumber;
    expectsMore = page.counter !== undefined && page.counter.page < page.counter.of;
  });
  const ranges = starts.map((start, order) => ({ from: start + 1, to: starts[order + 1] ?? facts.length }));
  return { ranges, sure: ranges.every((range) => countedExactly(facts, range)) };
}

/** Whether the first page's counter claims the whole file ("Page 1 of N", N its pages) and the last page's ends it. */
export function countedAsOne(firstText: string, lastText: string, pageCount: number): boolean {
  const first = pageFacts(firstText).counter;
  const last = pageFacts(lastText).counter;
  return first?.page === 1 && first.of === pageCount && last?.page === pageCount && last.of === pageCount;
}

function startsDocument(page: PageFacts, expectsMore: boolean, invoiceNumber: string | undefined): boolean {
  if (page.counter) return page.counter.page === 1;
  if (expectsMore) return false;
  if (page.titled) return true;
  return page.invoiceNumber !== undefined && invoiceNumber !== undefined && page.invoiceNumber !== invoiceNumber;
}

/** Whether a range's pages count 1..N, N being its length: the counters vouch for it. */
function countedExactly(facts: readonly PageFacts[], range: PageRange): boolean {
  const length = range.to - range.from + 1;
  for (let page = range.from; page <= range.to; page++) {
    const counter = facts[page - 1]!.counter;
    if (!counter || counter.of !== length || counter.page !== page - range.from + 1) return false;
  }
  return true;
}

function pageFacts(text: string): PageFacts {
  const counterMatch = COUNTER.exec(text);
  const page = counterMatch ? Number(counterMatch[1]) : 0;
  const of = counterMatch ? Number(counterMatch[2]) : 0;
  const counter = page >= 1 && page <= of ? { page, of } : undefined;
  const head = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .slice(0, HEAD_LINES);
  const titled = head.some((line) => line.length <= MAX_TITLE_CHARS && isTitle(line));
  const invoiceNumber = INVOICE_NUMBER.exec(text)?.[1];
  return { ...(counter ? { counter } : {}), titled, ...(invoiceNumber ? { invoiceNumber } : {}) };
}

/** Whether a line is a document title, allowing the letters a scan's OCR gets wrong. */
function isTitle(line: string): boolean {
  const plain = line
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (plain.length < 4) return false;
  return TITLES.some((title) => {
    const allowed = Math.floor(title.length * TITLE_ERRORS_PER_LETTER);
    return Math.abs(plain.length - title.length) <= allowed && editDistance(plain, title) <= allowed;
  });
}

/** Levenshtein distance, one row at a time (titles are a few dozen letters). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}
