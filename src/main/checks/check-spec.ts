import { z } from 'zod';

/**
 * The built-in checks a profile can declare per class, naming its own fields. Each is a rule a
 * finance team applies by hand: totals add up, dates are real and in order, codes are valid.
 */
export type CheckSpec =
  /** `terms` add up to `total` (subtotal + tax = total). */
  | { readonly rule: 'sum'; readonly terms: readonly string[]; readonly total: string }
  /** The `amount` of every entry of the list `lines` adds up to `total` (lines to the subtotal, expense items to the total). */
  | { readonly rule: 'lines-sum'; readonly lines: string; readonly amount: string; readonly total: string }
  /** In every entry of `lines`, quantity × unit price = amount. */
  | { readonly rule: 'line-product'; readonly lines: string; readonly quantity: string; readonly unitPrice: string; readonly amount: string }
  /** Real calendar dates (YYYY-MM-DD), not before 1990 and not more than a year after today. */
  | { readonly rule: 'date'; readonly fields: readonly string[] }
  /** `earlier` is not after `later`, and at most `maxDays` before it. */
  | { readonly rule: 'date-order'; readonly earlier: string; readonly later: string; readonly maxDays: number }
  /** An ISO 4217 currency code. */
  | { readonly rule: 'currency'; readonly field: string }
  /** An IBAN whose checksum holds. */
  | { readonly rule: 'iban'; readonly field: string }
  /** An EU VAT id whose format and check digits hold. */
  | { readonly rule: 'vat-id'; readonly field: string }
  /** Present (not null, not empty). */
  | { readonly rule: 'required'; readonly fields: readonly string[] }
  /** `field` is not above `limit` (a receipt's tax is not above its total). */
  | { readonly rule: 'not-above'; readonly field: string; readonly limit: string };

export type CheckRule = CheckSpec['rule'];

const field = z.string().min(1);
export const checkSpecSchema: z.ZodType<CheckSpec> = z.discriminatedUnion('rule', [
  z.object({ rule: z.literal('sum'), terms: z.array(field).min(1), total: field }).strict(),
  z.object({ rule: z.literal('lines-sum'), lines: field, amount: field, total: field }).strict(),
  z.object({ rule: z.literal('line-product'), lines: field, quantity: field, unitPrice: field, amount: field }).strict(),
  z.object({ rule: z.literal('date'), fields: z.array(field).min(1) }).strict(),
  z.object({ rule: z.literal('date-order'), earlier: field, later: field, maxDays: z.number().int().positive() }).strict(),
  z.object({ rule: z.literal('currency'), field }).strict(),
  z.object({ rule: z.literal('iban'), field }).strict(),
  z.object({ rule: z.literal('vat-id'), field }).strict(),
  z.object({ rule: z.literal('required'), fields: z.array(field).min(1) }).strict(),
  z.object({ rule: z.literal('not-above'), field, limit: field }).strict(),
]);

/** The fields a check reads at the top level of an answer (a list's entries are read inside it). */
export function fieldsOfCheck(spec: CheckSpec): string[] {
  switch (spec.rule) {
    case 'sum':
      return [...spec.terms, spec.total];
    case 'lines-sum':
      return [spec.lines, spec.total];
    case 'line-product':
      return [spec.lines];
    case 'date':
    case 'required':
      return [...spec.fields];
    case 'date-order':
      return [spec.earlier, spec.later];
    case 'not-above':
      return [spec.field, spec.limit];
    default:
      return [spec.field];
  }
}
