import { normalName } from '../checks/normal-name.ts';

/**
 * How an answered field compares with its label: `exact` (the same value), `normalised` (the
 * same once normalised: numbers within 0.01, dates as dates, names without case, spacing,
 * punctuation, accents or legal form; lists entry by entry), `empty` (the label has a value, the
 * answer none) or `wrong`.
 */
export type FieldVerdict = 'exact' | 'normalised' | 'empty' | 'wrong';

export function compareField(label: unknown, answer: unknown): FieldVerdict {
  if (isEmpty(answer)) return 'empty';
  if (JSON.stringify(label) === JSON.stringify(answer)) return 'exact';
  return sameNormalised(label, answer) ? 'normalised' : 'wrong';
}

/** A label or answer with no value: null, absent, blank text or an empty list. */
export function isEmpty(value: unknown): boolean {
  return value === null || value === undefined || (typeof value === 'string' && value.trim() === '') || (Array.isArray(value) && value.length === 0);
}

function sameNormalised(label: unknown, answer: unknown): boolean {
  if (Array.isArray(label))
    return Array.isArray(answer) && answer.length === label.length && label.every((entry, index) => sameNormalised(entry, answer[index]));
  if (typeof label === 'object' && label !== null) {
    if (typeof answer !== 'object' || answer === null) return false;
    const given = answer as Record<string, unknown>;
    return Object.entries(label as Record<string, unknown>).every(([key, value]) => isEmpty(value) || sameNormalised(value, given[key]));
  }
  // A date before a number: 07.03.2024 is a date, not seven million.
  const labelDate = asDate(label);
  if (labelDate !== undefined) return asDate(answer) === labelDate;
  const labelNumber = asNumber(label);
  if (labelNumber !== undefined) {
    const answerNumber = asNumber(answer);
    return answerNumber !== undefined && Math.abs(labelNumber - answerNumber) <= 0.01 + 1e-9;
  }
  return typeof label === 'string' && typeof answer === 'string' && normalName(label) === normalName(answer);
}

/** A number, or text that is one (1234.56, "1,234.56", "1.234,56", "€ 12.00"). */
function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.replace(/[^\d.,-]/g, '');
  if (!/\d/.test(text) || /[^\d.,\s€$£%-]/.test(value.replace(/[A-Z]{3}/g, ''))) return undefined;
  // The last separator followed by one or two digits is the decimal one.
  const decimal = /[.,](\d{1,2})$/.exec(text);
  const whole = decimal ? text.slice(0, decimal.index) : text;
  const parsed = Number(`${whole.replace(/[.,]/g, '')}${decimal ? `.${decimal[1]}` : ''}`);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** A date as YYYY-MM-DD from ISO (with or without time), DD.MM.YYYY, DD/MM/YYYY or YYYYMMDD. */
function asDate(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$/.exec(text) ?? /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (iso) return `${iso[1]}-${iso[2]}-${iso[3]}`;
  const european = /^(\d{1,2})[./](\d{1,2})[./](\d{4})$/.exec(text);
  return european ? `${european[3]}-${european[2]!.padStart(2, '0')}-${european[1]!.padStart(2, '0')}` : undefined;
}
