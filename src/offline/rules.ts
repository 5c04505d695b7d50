/**
 * Rule-based reading of a document's text: a class from keyword cues (English, German, French)
 * and the invoice fields regexes can find. Used by the emulator to answer for documents without
 * embedded ground truth, and the basis of the offline provider.
 */
import type { FinanceLabel } from '../../scripts/corpus/truth.ts';

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
  ['bank_statement', /account statement|bank statement|kontoauszug|relevé de compte|opening balance|closing balance|anfangssaldo|endsaldo|solde (initial|final)|\bIBAN\b/gi],
  ['receipt', /\breceipt\b|kassenbon|quittung|beleg|ticket de caisse|thank you for your purchase|vielen dank für ihren einkauf|merci de votre visite|\bpaid by\b|bezahlt mit/gi],
  ['contract', /agreement|contract|vertrag|contrat|hereinafter|clause \d|paragraph \d|article \d|governed by|gerichtsstand/gi],
  ['vendor_invoice', /\binvoice\b|rechnung|facture|invoice (no|number|date)|rechnungsnummer|n° de facture|due date|fällig|échéance|\bVAT\b|mwst|ust-idnr|tva|bill to|total due|gesamtbetrag|total ttc/gi],
];

export function readByRules(text: string): RuleReading {
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
  return { label: best.label, confidence: Math.round(confidence * 100) / 100, fields: extractInvoiceFields(visible), reason: `cue words for ${best.label}` };
}

/** Invoice-like fields found by label patterns; each is null when not found. */
export function extractInvoiceFields(text: string): Record<string, string | number | null> {
  const invoiceNumber = text.match(/(?:invoice\s*(?:no\.?|number|#)|rechnungsnummer|rechnungs-nr\.?|n°\s*de\s*facture|facture\s*n°)\s*:?\s*([A-Z0-9][A-Z0-9\-/_.]{2,})/i)?.[1] ?? null;
  const dateText = text.match(/(?:invoice date|rechnungsdatum|date de facture|date)\s*:?\s*([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{1,2}[./][0-9]{1,2}[./][0-9]{4}|[A-Z][a-z]+ [0-9]{1,2}, [0-9]{4})/i)?.[1];
  const totalText = text.match(/(?:total due|amount due|grand total|gesamtbetrag|total ttc|total)\s*(?:[A-Za-z%0-9 ]{0,12})?:?\s*([€$£]?\s?-?[0-9][0-9.,' ]*[0-9])\s*(€|EUR|USD|GBP|CHF|\$|£)?/i);
  const currency = detectCurrency(text);
  return {
    invoice_number: invoiceNumber,
    invoice_date: dateText ? parseDate(dateText) : null,
    total: totalText?.[1] ? parseAmount(totalText[1]) : null,
    currency,
  };
}

function detectCurrency(text: string): string | null {
  if (/€|\bEUR\b/.test(text)) return 'EUR';
  if (/£|\bGBP\b/.test(text)) return 'GBP';
  if (/\$|\bUSD\b/.test(text)) return 'USD';
  if (/\bCHF\b/.test(text)) return 'CHF';
  return null;
}

/** "1.234,56", "1,234.56", "1 234,56", "€1234" → 1234.56; the last separator followed by two digits is the decimal one. */
export function parseAmount(raw: string): number | null {
  const cleaned = raw.replace(/[^0-9.,-]/g, '');
  const decimal = /[.,](\d{2})$/.exec(cleaned);
  const whole = (decimal ? cleaned.slice(0, -3) : cleaned).replace(/[.,]/g, '');
  const value = Number(`${whole}${decimal ? `.${decimal[1]}` : ''}`);
  return Number.isFinite(value) && whole !== '' ? value : null;
}

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** ISO, European (dd.mm.yyyy, dd/mm/yyyy) and English long dates → ISO yyyy-mm-dd. */
export function parseDate(raw: string): string | null {
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
  if (iso) return raw;
  const european = /^(\d{1,2})[./](\d{1,2})[./](\d{4})$/.exec(raw);
  if (european) return `${european[3]}-${european[2]!.padStart(2, '0')}-${european[1]!.padStart(2, '0')}`;
  const long = /^([A-Za-z]+) (\d{1,2}), (\d{4})$/.exec(raw);
  const month = long ? MONTHS.indexOf(long[1]!.toLowerCase()) : -1;
  if (long && month >= 0) return `${long[3]}-${String(month + 1).padStart(2, '0')}-${long[2]!.padStart(2, '0')}`;
  return null;
}
