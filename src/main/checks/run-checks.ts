import currencyCodes from 'currency-codes';
import { electronicFormatIBAN, isValidIBAN } from 'ibantools';
import { checkVAT, countries } from 'jsvat';
import type { CheckRule, CheckSpec } from './check-spec.ts';

/** One check on one answer: which rule, whether it held, and what it compared. */
export interface CheckResult {
  readonly rule: CheckRule | 'duplicate';
  readonly ok: boolean;
  readonly detail: string;
}

type Fields = Readonly<Record<string, unknown>>;

const DAY_MS = 86_400_000;
/** Dates before this are misreads, not documents a finance team processes. */
const EARLIEST_YEAR = 1990;
/** A document dated more than this after today is a misread (an invoice may be dated a little ahead). */
const FUTURE_DAYS = 366;

/**
 * Every declared check that applies to these fields, in declaration order. A check whose inputs
 * are absent (null, or no list) does not apply and is left out; `required` is the check for absence.
 * Amounts are compared in cents, each rounded amount allowed half a cent of rounding: a sum of n
 * amounts may be off by n cents at most ("subtotal + tax = total" within 0.02).
 */
export function runChecks(specs: readonly CheckSpec[], fields: Fields, today: Date = new Date()): CheckResult[] {
  return specs.flatMap((spec) => {
    const result = check(spec, fields, today);
    return result ? [result] : [];
  });
}

function check(spec: CheckSpec, fields: Fields, today: Date): CheckResult | undefined {
  switch (spec.rule) {
    case 'sum': {
      const terms = spec.terms.map((name) => amount(fields[name]));
      const total = amount(fields[spec.total]);
      if (total === undefined || terms.some((term) => term === undefined)) return undefined;
      const sum = terms.reduce((a, b) => a! + b!, 0)!;
      const ok = Math.abs(sum - total) <= 0.01 * terms.length + 1e-9;
      return {
        rule: spec.rule,
        ok,
        detail: `${spec.terms.map((name, index) => `${name} ${money(terms[index]!)}`).join(' + ')} = ${money(sum)}; ${spec.total} ${money(total)}`,
      };
    }
    case 'lines-sum': {
      const lines = listOf(fields[spec.lines]);
      const total = amount(fields[spec.total]);
      if (!lines || lines.length === 0 || total === undefined) return undefined;
      const amounts = lines.map((line) => amount(line[spec.amount]));
      if (amounts.some((value) => value === undefined)) return undefined;
      const sum = amounts.reduce((a, b) => a! + b!, 0)!;
      const ok = Math.abs(sum - total) <= 0.01 * lines.length + 1e-9;
      return { rule: spec.rule, ok, detail: `${lines.length} ${spec.lines} add up to ${money(sum)}; ${spec.total} ${money(total)}` };
    }
    case 'line-product': {
      const lines = listOf(fields[spec.lines]);
      if (!lines || lines.length === 0) return undefined;
      const wrong: string[] = [];
      let compared = 0;
      lines.forEach((line, index) => {
        const [quantity, unitPrice, lineAmount] = [amount(line[spec.quantity]), amount(line[spec.unitPrice]), amount(line[spec.amount])];
        if (quantity === undefined || unitPrice === undefined || lineAmount === undefined) return;
        compared++;
        // The unit price is itself rounded to the cent: each unit may carry half a cent.
        const tolerance = 0.005 * Math.abs(quantity) + 0.01 + 1e-9;
        if (Math.abs(quantity * unitPrice - lineAmount) > tolerance)
          wrong.push(`line ${index + 1}: ${quantity} × ${money(unitPrice)} = ${money(quantity * unitPrice)}, ${spec.amount} ${money(lineAmount)}`);
      });
      if (compared === 0) return undefined;
      return { rule: spec.rule, ok: wrong.length === 0, detail: wrong.length === 0 ? `${compared} lines: quantity × unit price = amount` : wrong.join('; ') };
    }
    case 'date': {
      const present = spec.fields.filter((name) => isPresent(fields[name]));
      if (present.length === 0) return undefined;
      const wrong = present.flatMap((name) => {
        const problem = dateProblem(fields[name], today);
        return problem ? [`${name} ${String(fields[name])}: ${problem}`] : [];
      });
      return { rule: spec.rule, ok: wrong.length === 0, detail: wrong.length === 0 ? `${present.join(', ')}: real dates` : wrong.join('; ') };
    }
    case 'date-order': {
      const earlier = dayOf(fields[spec.earlier]);
      const later = dayOf(fields[spec.later]);
      if (earlier === undefined || later === undefined) return undefined;
      const days = Math.round((later - earlier) / DAY_MS);
      const ok = days >= 0 && days <= spec.maxDays;
      const detail = `${spec.later} is ${days} days after ${spec.earlier}${days < 0 ? ' (before it)' : days > spec.maxDays ? ` (more than ${spec.maxDays})` : ''}`;
      return { rule: spec.rule, ok, detail };
    }
    case 'currency': {
      const value = fields[spec.field];
      if (!isPresent(value)) return undefined;
      const known = typeof value === 'string' && /^[A-Z]{3}$/.test(value) ? currencyCodes.code(value) : undefined;
      return { rule: spec.rule, ok: known !== undefined, detail: known ? `${value}: ${known.currency}` : `${String(value)}: not an ISO 4217 currency code` };
    }
    case 'iban': {
      const value = fields[spec.field];
      if (!isPresent(value)) return undefined;
      const iban = typeof value === 'string' ? electronicFormatIBAN(value) : undefined;
      const ok = iban !== undefined && iban !== null && isValidIBAN(iban);
      return { rule: spec.rule, ok, detail: `${String(value)}: ${ok ? 'checksum holds' : 'not a valid IBAN (format or checksum)'}` };
    }
    case 'vat-id': {
      const value = fields[spec.field];
      if (!isPresent(value)) return undefined;
      const compact = typeof value === 'string' ? value.replace(/[\s.-]/g, '').toUpperCase() : '';
      const verdict = checkVAT(compact, countries);
      // An id of a country jsvat does not know (outside the EU, GB, CH, NO) is not judged.
      if (!verdict.isSupportedCountry) return undefined;
      return {
        rule: spec.rule,
        ok: verdict.isValid,
        detail: `${String(value)}: ${verdict.isValid ? `a valid ${verdict.country?.name} VAT id` : 'format or check digits wrong'}`,
      };
    }
    case 'required': {
      const missing = spec.fields.filter((name) => !isPresent(fields[name]));
      return {
        rule: spec.rule,
        ok: missing.length === 0,
        detail: missing.length === 0 ? `${spec.fields.join(', ')} present` : `missing: ${missing.join(', ')}`,
      };
    }
    case 'not-above': {
      const value = amount(fields[spec.field]);
      const limit = amount(fields[spec.limit]);
      if (value === undefined || limit === undefined) return undefined;
      return { rule: spec.rule, ok: value <= limit + 1e-9, detail: `${spec.field} ${money(value)}, ${spec.limit} ${money(limit)}` };
    }
  }
}

function amount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function listOf(value: unknown): Array<Record<string, unknown>> | undefined {
  return Array.isArray(value) ? value.filter((entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null) : undefined;
}

function isPresent(value: unknown): boolean {
  return value !== null && value !== undefined && !(typeof value === 'string' && value.trim() === '') && !(Array.isArray(value) && value.length === 0);
}

const money = (value: number) => value.toFixed(2);

/** The UTC midnight of a real YYYY-MM-DD date, else undefined (2025-02-30 is not one). */
function dayOf(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const time = Date.UTC(year, month - 1, day);
  const date = new Date(time);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? time : undefined;
}

function dateProblem(value: unknown, today: Date): string | undefined {
  const time = dayOf(value);
  if (time === undefined) return 'not a real calendar date (YYYY-MM-DD)';
  if (new Date(time).getUTCFullYear() < EARLIEST_YEAR) return `before ${EARLIEST_YEAR}`;
  if (time > today.getTime() + FUTURE_DAYS * DAY_MS) return 'more than a year in the future';
  return undefined;
}
