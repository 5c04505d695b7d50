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
  readonly vendor_name: string | null;
}

type Label = readonly [RegExp, number];

/** Invoice-number labels; the number is a token with a digit in it. Higher weight wins. */
const NUMBER_LABELS: readonly Label[] = [
  [/invoice\s*(?:number|no\.?|nr\.?|#)\s*:?/i, 3],
  [/rechnungs?\s*-?\s*(?:nummer|nr\.?)\s*:?/i, 3],
  [/beleg\s*-?\s*(?:nummer|nr\.?)\s*:?/i, 3],
  [/(?:n[°ºo]\.?\s*(?:de\s+)?facture|facture\s*n[°ºo]\.?)\s*:?/i, 3],
  [/factuur\s*-?\s*(?:nummer|nr\.?|no\.?)\s*:?/i, 3],
  [/^(?:invoice|rechnung|facture|factuur)\s+(?=[#A-Z0-9/_.-]{0,63}\d)/i, 2],
  // "Handelsrechnung (380) Nr. 4711": a UN/CEFACT type code may sit between the title and "Nr.".
  [/\b(?:handels)?rechnung\s*(?:\(\d{3}\)\s*)?nr\.?\s*/i, 2],
  // A title alone on its line ("FACTUUR", "RECHNUNG"): the number is on a line near it.
  [/^(?:invoice|rechnung|facture|factuur)\s*:?$/i, 1],
  // A bare "Nr." is a number's label only when no register, tax, account or phone word precedes it ("HRB Nr. 372876").
  [/(?<!(?:HRB|HRA|steuer|st|ust|kunden|konto|register|tel|telefon|fax|haus|bestell|auftrags|liefer|artikel|art)[\s.-]{0,3})\bnr\.\s*(?=\d)/i, 1],
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
  // "vom" dates an invoice only after an invoice word on its line ("Stylesheet-Version 2.5 vom …" does not).
  [/(?:rechnung|beleg|gutschrift)[^\n]{0,60}\bvom\b\s*:?/i, 1],
  [/\bnr\.?\s{0,5}\S{1,40}\s{1,5}vom\b\s*:?/i, 1],
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

/** Seller labels, and the customer block's labels (a company named under them is not the vendor). */
const VENDOR_LABELS: readonly Label[] = [[/^(?:seller|vendor|supplier|verkäufer|lieferant|rechnungssteller|fournisseur|vendeur|leverancier)\s*:/i, 3]];
const CUSTOMER_LABEL =
  /^(?:bill\s*to|ship\s*to|sold\s*to|customer|client|kunde|rechnungsempfänger|lieferanschrift|lieferadresse|empfänger|adresse\s+du\s+client|facturé\s+à|acheteur|buyer|an(?=\s*:))\b\s*:?/i;
/** A company's legal form at the end of a short line: the line is a company's name. */
const LEGAL_FORM =
  /^(?=.{3,80}$)[^\d:@]*?\S\s+(?:GmbH(?:\s*&\s*Co\.?\s*KG)?|AG|KG|OHG|UG(?:\s*\(haftungsbeschränkt\))?|e\.\s?K\.|Ltd\.?|Limited|Inc\.?|LLC|LLP|plc|S\.?A\.?S?\.?|SARL|EURL|B\.?V\.?|N\.?V\.?|S\.?r\.?l\.?|S\.?p\.?A\.?|Oy|AB|ApS|SE|Corp\.?|Co\.)$/i;
/** Lines read for the vendor: a letterhead is near the top. */
const VENDOR_LINES = 25;
const MAX_NAME_WORDS = 6;

const TAX_ID = /\b(?:(?:VAT|USt|TVA|BTW)[\s.-]{0,5}(?:ID|IdNr|Id\.-Nr|n°|nr)?\.?\s{0,5}:?\s{0,5})?((?:DE|FR|GB|NL|AT|BE|IT|ES)\s?\d[\d\s]{7,12}\d)\b/;

export function extractInvoiceFields(text: string): InvoiceFields {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  const language = detectLanguage(text);
  const findDate = (labels: readonly Label[]) => labelled(lines, labels, (value) => firstDate(value, language));
  const taxId = TAX_ID.exec(text)?.[1]?.replace(/\s+/g, '') ?? null;
  const numberText = labelled(lines, NUMBER_LABELS, (value) => {
    const match = NUMBER_VALUE.exec(value);
    const number = match && !parseDate(match[1]!, language) ? match[1]!.replace(/\s+/g, '') : undefined;
    // A tax or VAT id near the label is not the invoice's number.
    return number && number !== taxId && !TAX_ID.test(number) ? number : undefined;
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
    vendor_tax_id: taxId,
    vendor_name: vendorName(lines),
  };
}

/**
 * The issuer: a line labelled as the seller; else the first line near the top that ends in a
 * legal form (GmbH, Ltd, SARL, …) outside the customer's block (the lines under "Bill to",
 * "Rechnungsempfänger", …).
 */
function vendorName(lines: readonly string[]): string | null {
  // A name: letters, no colon (another label) and no run of digits (an id or a postcode).
  const labelledName = labelled(lines, VENDOR_LABELS, (value) =>
    /\p{L}{2}/u.test(value) && value.length <= 80 && !/[:@]|\d{3}/.test(value) ? value : undefined,
  );
  if (labelledName) return labelledName;
  let customerBlock = 0;
  for (const line of lines.slice(0, VENDOR_LINES)) {
    if (CUSTOMER_LABEL.test(line)) {
      customerBlock = 3;
      continue;
    }
    if (customerBlock > 0) {
      customerBlock--;
      continue;
    }
    // A name is a few words; a sentence that ends in a company ("… are sold by Amazon Web Services, Inc.") is not one.
    if (LEGAL_FORM.test(line) && line.split(/\s+/).length <= MAX_NAME_WORDS) return line.replace(/\s+/g, ' ').trim();
  }
  return null;
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
      // The start of a longer label ("Date de facture associée :", "Invoice date of delivery:") is another label.
      if (!/[:#]\s*$/.test(match[0]) && LONGER_LABEL.test(rest)) continue;
      const next = lines[index + 1];
      const afterNext = next !== undefined && neighbour.test(next) ? lines[index + 2] : undefined;
      const nearby = [next, afterNext, lines[index - 1]].filter((line) => line !== undefined && neighbour.test(line));
      for (const candidate of [rest, ...nearby]) {
        if (candidate === undefined) continue;
        // A stray dot or colon after the label ("Rechnungsnummer:. 6069999998") is not part of the value.
        const value = read(candidate.trim().replace(/^[.:]{1,3}\s*/, ''));
        if (value !== undefined) return value;
      }
    }
  }
  return undefined;
}

/** A label's continuation: up to three words, then a colon. */
const LONGER_LABEL = /^\s*[\p{L}'’.-]{2,20}(?:\s+[\p{L}'’.-]{1,20}){0,2}\s*:/u;

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
