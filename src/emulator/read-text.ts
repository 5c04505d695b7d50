/**
 * How the emulator reads a document it has no ground truth for: like a quick human reader, from
 * the kind of document its wording says it is and the few fields printed beside a label. Written
 * for the emulator alone (docpool's offline rules answer the same question their own way), so the
 * two can disagree, as a model and a rule engine do.
 */

/** What kind of document the text is, as a word that an answer's class names can be matched against. */
export type DocumentKind = 'invoice' | 'expense' | 'receipt' | 'order' | 'statement' | 'contract' | 'other';

export interface TextReading {
  readonly kind: DocumentKind;
  readonly confidence: number;
  readonly fields: Readonly<Record<string, string | number | null>>;
}

/** Words that say what a document is, strongest first within each kind (English, German, French). */
const KIND_WORDS: ReadonlyArray<readonly [DocumentKind, readonly string[]]> = [
  ['expense', ['expense report', 'expense claim', 'reisekostenabrechnung', 'spesenabrechnung', 'note de frais', 'reimbursement']],
  ['order', ['purchase order', 'bestellung', 'bon de commande', 'order number']],
  ['statement', ['account statement', 'bank statement', 'kontoauszug', 'relevé de compte', 'opening balance', 'closing balance']],
  ['receipt', ['receipt', 'kassenbon', 'quittung', 'ticket de caisse', 'thank you for your purchase']],
  ['contract', ['agreement', 'contract', 'vertrag', 'contrat', 'hereinafter']],
  ['invoice', ['invoice', 'rechnung', 'facture', 'bill to', 'amount due', 'total due']],
];

export function readText(text: string): TextReading {
  const lower = text.toLowerCase();
  if (lower.replace(/\s+/g, '').length < 10) return { kind: 'other', confidence: 0.2, fields: {} };
  const scored = KIND_WORDS.map(([kind, words]) => ({
    kind,
    score: words.reduce((sum, word) => sum + occurrences(lower, word) * (lower.indexOf(word) < 300 && lower.includes(word) ? 2 : 1), 0),
  }));
  scored.sort((a, b) => b.score - a.score);
  const best = scored[0]!;
  if (best.score === 0) return { kind: 'other', confidence: 0.6, fields: {} };
  const margin = (best.score - scored[1]!.score) / best.score;
  return { kind: best.kind, confidence: Math.round((0.6 + 0.35 * margin) * 100) / 100, fields: readFields(text) };
}

function occurrences(text: string, word: string): number {
  let count = 0;
  for (let at = text.indexOf(word); at >= 0; at = text.indexOf(word, at + word.length)) count++;
  return count;
}

/** The value printed after a label on the same line: "Invoice No: RE-2024-00042". */
function after(text: string, labels: RegExp): string | undefined {
  for (const line of text.split('\n')) {
    const match = labels.exec(line);
    if (match) {
      const rest = line
        .slice(match.index + match[0].length)
        .replace(/^[\s:#.\-–]+/, '')
        .trim();
      if (rest) return rest;
    }
  }
  return undefined;
}

function readFields(text: string): Record<string, string | number | null> {
  const number = after(text, /(invoice (no|number|#)|rechnungs-?(nr|nummer)|n° de facture|facture n°)\.?/i)?.split(/\s{2,}/)[0] ?? null;
  const dateText = after(text, /(invoice date|date|rechnungsdatum|datum|date de facture)\b/i);
  const totalText = after(text, /(total due|amount due|grand total|total|gesamtbetrag|gesamt|montant total|total ttc)\b/i);
  return {
    invoice_number: number,
    invoice_date: dateText ? isoDate(dateText) : null,
    total: totalText ? amount(totalText) : null,
    currency: currencyOf(text),
  };
}

/** "05.03.2024", "2024-03-05", "05/03/2024" → "2024-03-05" (day first outside the US form with a month name). */
function isoDate(text: string): string | null {
  const iso = /(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (iso) return `${iso[1]}-${iso[2]}-${iso[3]}`;
  const dotted = /(\d{1,2})[./](\d{1,2})[./](\d{4})/.exec(text);
  if (dotted) return `${dotted[3]}-${dotted[2]!.padStart(2, '0')}-${dotted[1]!.padStart(2, '0')}`;
  return null;
}

/** The last amount on the line: "1.234,56 €" and "1,234.56" both read as 1234.56. */
function amount(text: string): number | null {
  const amounts = [...text.matchAll(/\d{1,3}(?:[.,\s]\d{3})*(?:[.,]\d{2})|\d+(?:[.,]\d{2})?/g)].map((match) => match[0]);
  const last = amounts.at(-1);
  if (!last) return null;
  const decimal = /[.,](\d{2})$/.exec(last);
  const whole = (decimal ? last.slice(0, -3) : last).replace(/[.,\s]/g, '');
  return Number(decimal ? `${whole}.${decimal[1]}` : whole);
}

function currencyOf(text: string): string | null {
  if (/€|\bEUR\b/.test(text)) return 'EUR';
  if (/£|\bGBP\b/.test(text)) return 'GBP';
  if (/\$|\bUSD\b/.test(text)) return 'USD';
  if (/₹|\bINR\b/.test(text)) return 'INR';
  return null;
}
