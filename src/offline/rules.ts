/**
 * Rule-based reading of a document's text: a class from keyword cues (English, German, French)
 * and the invoice fields regexes can find. Used by the emulator to answer for documents without
 * embedded ground truth, and the basis of the offline provider.
 */
import type { FinanceLabel } from '../main/profiles/finance-labels.ts';
import { extractInvoiceFields } from './fields.ts';

export interface RuleReading {
  readonly label: FinanceLabel;
  /** 0..1; 0 when there is no text to read. */
  readonly confidence: number;
  readonly fields: Readonly<Record<string, string | number | null>>;
  readonly reason: string;
}

/** Cue words per class; a title-like cue near the top counts double. */
const CUES: ReadonlyArray<readonly [FinanceLabel, RegExp]> = [
  ['employee_expense_report', /expense report|expense claim|reisekosten|spesenabrechnung|note de frais|reimburs|erstattung|à rembourser/gi],
  ['purchase_order', /purchase order|\bPO number\b|bestellung|bestellnummer|bon de commande|n° de commande/gi],
  [
    'bank_statement',
    /account statement|bank statement|kontoauszug|relevé de compte|opening balance|closing balance|anfangssaldo|endsaldo|solde (initial|final)|\bIBAN\b/gi,
  ],
  [
    'receipt',
    /\breceipt\b|kassenbon|quittung|kassenbeleg|ticket de caisse|thank you for your purchase|vielen dank für ihren einkauf|merci de votre visite|\bpaid by\b|bezahlt mit/gi,
  ],
  ['contract', /agreement|contract|vertrag|contrat|hereinafter|clause \d|paragraph \d|article \d|governed by|gerichtsstand/gi],
  [
    'vendor_invoice',
    /\binvoice\b|rechnung|facture|invoice (no|number|date)|rechnungsnummer|n° de facture|due date|fällig|échéance|\bVAT\b|mwst|ust-idnr|tva|bill to|total due|gesamtbetrag|total ttc/gi,
  ],
];

/** The text the rules read at most: more than the first pages of any real document hold. */
const MAX_TEXT_CHARS = 200_000;
/** A longer line is read in pieces: no label sits this far from its value. */
const MAX_LINE_CHARS = 1_000;
const LINE_PIECE = new RegExp(`[^]{1,${MAX_LINE_CHARS}}`, 'g');

/**
 * The text cut to what the rules need: bounded in length, and in line length, so that their
 * cost is bounded whatever a document holds (they also run under the prepare task's deadline).
 */
export function boundedText(text: string): string {
  const head = text.length > MAX_TEXT_CHARS ? text.slice(0, MAX_TEXT_CHARS) : text;
  const lines = head.split('\n');
  if (lines.every((line) => line.length <= MAX_LINE_CHARS)) return head;
  return lines.flatMap((line) => (line.length <= MAX_LINE_CHARS ? [line] : (line.match(LINE_PIECE) ?? []))).join('\n');
}

export function readByRules(fullText: string): RuleReading {
  const text = boundedText(fullText);
  const visible = text.replace(/\s+/g, ' ').trim();
  if (visible.length < 20) return { label: 'other', confidence: 0, fields: {}, reason: 'no text layer to read (image-only or blank)' };
  const head = visible.slice(0, 400);
  const scores = CUES.map(([label, pattern]) => {
    const all = visible.match(pattern)?.length ?? 0;
    const inHead = head.match(pattern)?.length ?? 0;
    return { label, score: all + inHead };
  }).sort((a, b) => b.score - a.score);
  const best = scores[0]!;
  const second = scores[1]!;
  if (best.score === 0) return { label: 'other', confidence: 0.5, fields: {}, reason: 'no finance cue words found' };
  const confidence = Math.min(0.95, 0.5 + (best.score - second.score) / (2 * best.score));
  return {
    label: best.label,
    confidence: Math.round(confidence * 100) / 100,
    fields: { ...extractInvoiceFields(text) },
    reason: `cue words for ${best.label}`,
  };
}
