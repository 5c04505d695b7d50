/**
 * Invoice fields from document text by labelled values. Real invoices put a value on the label's
 * line, on the next line, or (in tables laid out column by column) on the line before, so each
 * label looks at all three, nearest first.
 *
 * Every pattern is linear in its input: no quantifier that can be retried over an unbounded run
 * (a 1.6 KB PDF whose one line is "invoice " and a million letters made the old number label
 * backtrack for hours). Repetitions are bounded by what a real value can be.
 */
import { detectLanguage, type TextLanguage } from './language.ts';
import { parseAmount, parseDate } from './values.ts';

export interface InvoiceFields {
  readonly invoice_number: string | null;
  readonly invoice_date: string | null;
  readonly due_date: string | null;
  readonly total: number | null;
  readonly currency: string | null;
  readonly vendor_tax_id: string | null;
}

type Label = readonly [RegExp, number];

/** Invoice-number labels; the number is a token with a digit in it. Higher weight wins. */
const NUMBER_LABELS: readonly Label[] = [
  [/invoice\s*(?:number|no\.?|nr\.?|#)\s*:?/i, 3],
  [/rechnungs?\s*-?\s*(?:nummer|nr\.?)\s*:?/i, 3],
  [/(?:n[°ºo]\.?\s*(?:de\s+)?facture|facture\s*n[°ºo]\.?)\s*:?/i, 3],
  [/factuurnummer\s*:?/i, 3],
  [/^(?:invoice|rechnung|facture|factuur)\s+(?=[#A-Z0-9/_.-]{0,63}\d)/i, 2],
  [/\b(?:handels)?rechnung\s+nr\.?\s*/i, 2],
  [/\bnr\.\s*(?=\d)/i, 1],
];
const NUMBER_VALUE = /^#?\s?([A-Z0-9][A-Z0-9/_.-]{0,62}\d[A-Z0-9/_.-]{0,62})/i;

const DATE_LABELS: readonly Label[] = [
  [/invoice\s*date\s*:?/i, 3],
  [/rechnungsdatum\s*:?/i, 3],
  [/date\s+de\s+(?:la\s+)?facture\s*:?/i, 3],
  [/factuur\s*datum\s*:?/i, 3],
  [/belegdatum\s*:?/i, 2],
  [/rechnung\s{1,5}nr\.?\s{0,5}\S{1,40}\s{1,5}vom\s*/i, 2],
  [/\bdate\s*:/i, 1],
  [/\bdatum\s*:/i, 1],
  [/\bvom\b\s*:?/i, 1],
];
const DUE_LABELS: readonly Label[] = [[/(?:due\s*date|payment\s*due|fällig(?:\s*am)?|zahlbar\s*bis|date\s*d'échéance|échéance|vervaldatum)\s*:?/i, 3]];

/** Total labels: gross amount due first; a bare "Total" (not Subtotal/Net/Tax total) last. */
const TOTAL_LABELS: readonly Label[] = [
  [
    /(?:total\s*amount\s*due|amount\s*due|total\s*due|grand\s*total|invoice\s*total|total\s*for\s*this\s*invoice|total\s*ttc|montant\s*ttc|net\s*à\s*payer|bruttosumme|rechnungssumme\s*brutto|endsumme|factuur\s*totaal)\s*:?/i,
    4,
  ],
  [/(?:rechnungsbetrag|gesamtbetrag|endbetrag)\s*:?/i, 3],
  [/\bsumme\b\s*:?/i, 2],
  [/(?<!sub|net |tax |ht |\w)total\b(?!\s*(?:ht|net|tax|excl))\s*:?/i, 1],
];
/** A line holding only a value: digits, separators, a currency sign or code. */
const VALUE_LINE = /^[^A-Za-zÀ-ÿ]*(?:(?:EUR|USD|GBP|CHF|INR)[^A-Za-zÀ-ÿ]*)?$/;
const AMOUNT = /(?:[$€£]\s?)?-?\d{1,3}(?:[.,'\u00a0 ]\d{3}){0,6}[.,]\d{2}(?!\d)|-?\d{1,18}[.,]\d{2}(?!\d)/;

const TAX_ID = /\b(?:(?:VAT|USt|TVA|BTW)[\s.-]{0,5}(?:ID|IdNr|Id\.-Nr|n°|nr)?\.?\s{0,5}:?\s{0,5})?((?:DE|FR|GB|NL|AT|BE|IT|ES)\s?\d[\d\s]{7,12}\d)\b/;

export function extractInvoiceFields(text: string): InvoiceFields {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  const language = detectLanguage(text);
  const findDate = (labels: readonly Label[]) => labelled(lines, labels, (value) => firstDate(value, language));
  const numberText = labelled(lines, NUMBER_LABELS, (value) => {
    const match = NUMBER_VALUE.exec(value);
    return match && !parseDate(match[1]!, language) ? match[1]!.replace(/\s+/g, '') : undefined;
  });
  // Keep a leading '#' when the document prints one ("Invoice No : # BLR_…"): it is part of the number as written.
  const asPrinted = numberText && new RegExp(`#\\s?${escapeRegExp(numberText)}`).test(text) ? `#${numberText}` : numberText;
  const totalText = labelled(lines, TOTAL_LABELS, (value) => AMOUNT.exec(value)?.[0], VALUE_LINE);
  return {
    invoice_number: asPrinted ?? null,
    invoice_date: findDate(DATE_LABELS) ?? null,
    due_date: findDate(DUE_LABELS) ?? null,
    total: totalText ? parseAmount(totalText) : null,
    currency: detectCurrency(text),
    vendor_tax_id: TAX_ID.exec(text)?.[1]?.replace(/\s+/g, '') ?? null,
  };
}

/**
 * The value for the best label: for each label line (highest weight first, then top to bottom),
 * the rest of that line, then the next two lines, then the line before.
 */
function labelled(
  lines: readonly string[],
  labels: readonly Label[],
  read: (text: string) => string | undefined,
  /** Lines other than the label's own must look like this to count (so another label's value is not taken). */
  neighbour: RegExp = /./,
): string | undefined {
  const sorted = [...labels].sort((a, b) => b[1] - a[1]);
  for (const [pattern] of sorted) {
    for (let index = 0; index < lines.length; index++) {
      const match = pattern.exec(lines[index]!);
      if (!match) continue;
      const rest = lines[index]!.slice(match.index + match[0].length);
      const next = lines[index + 1];
      const afterNext = next !== undefined && neighbour.test(next) ? lines[index + 2] : undefined;
      const nearby = [next, afterNext, lines[index - 1]].filter((line) => line !== undefined && neighbour.test(line));
      for (const candidate of [rest, ...nearby]) {
        if (candidate === undefined) continue;
        const value = read(candidate.trim());
        if (value !== undefined) return value;
      }
    }
  }
  return undefined;
}

/** Month names are at most 10 letters ("septembre"), so no shape needs an unbounded run (which backtracks quadratically on a hostile line). */
const DATE_SHAPES = [
  /\d{4}-\d{2}-\d{2}/,
  /\d{1,2}[./-]\d{1,2}[./-]\d{2,4}/,
  /(?<![A-Za-zÀ-ÿ])[A-Za-zÀ-ÿ]{3,10}\.?\s{1,3}\d{1,2}\s{0,3},\s{0,3}\d{4}/,
  /\d{1,2}\.?\s{1,3}[A-Za-zÀ-ÿ]{3,10}\.?\s{1,3}\d{4}/,
];

function firstDate(text: string, language: TextLanguage): string | undefined {
  for (const shape of DATE_SHAPES) {
    const match = shape.exec(text);
    const parsed = match ? parseDate(match[0], language) : null;
    if (parsed) return parsed;
  }
  return undefined;
}

function detectCurrency(text: string): string | null {
  const codes: Array<[string, RegExp]> = [
    ['EUR', /€|\bEUR\b/],
    ['GBP', /£|\bGBP\b/],
    ['USD', /\$|\bUSD\b|US Dollars/],
    ['CHF', /\bCHF\b/],
    ['INR', /₹|\bINR\b|\bRs\.?\s?\d/],
  ];
  const counts = codes.map(([code, pattern]) => [code, (text.match(new RegExp(pattern.source, 'g')) ?? []).length] as const).filter(([, count]) => count > 0);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0]?.[0] ?? null;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
