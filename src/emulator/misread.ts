import { createHash } from 'node:crypto';
import type { Understanding } from './read-request.ts';

/**
 * How a model misreads a document it otherwise understands: digits of an amount swapped, the
 * subtotal given as the total, a date's year off by one, a line item dropped. The faults a
 * finance team's checks exist for.
 */
export const MISREAD_KINDS = ['digits', 'subtotal_as_total', 'year', 'dropped_line'] as const;
export type MisreadKind = (typeof MISREAD_KINDS)[number];

export interface MisreadConfig {
  /** Share of answers misread, 0..1. */
  readonly rate: number;
  /** The kinds drawn from (each that applies to the document equally likely); all by default. */
  readonly kinds?: readonly MisreadKind[];
}

export interface Misreading {
  readonly kind: MisreadKind;
  readonly field: string;
  readonly understanding: Understanding;
}

type Fields = Record<string, unknown>;

/**
 * Whether this request's answer is misread, and how: decided by the seed, the model and the
 * request's content (document and question), so the same question to the same model misreads the
 * same way every time, while another model, or a question worded otherwise, draws afresh.
 */
export function misreadOf(
  config: MisreadConfig | undefined,
  seed: number,
  model: string,
  digest: string,
  understanding: Understanding,
): Misreading | undefined {
  if (!config || config.rate <= 0) return undefined;
  const hash = createHash('sha256').update(`${seed}\u0000${model}\u0000${digest}`).digest();
  if (hash.readUInt32BE(0) / 2 ** 32 >= config.rate) return undefined;
  const fields = understanding.fields as Fields;
  const choices = (config.kinds ?? MISREAD_KINDS).flatMap((kind) => candidates(kind, fields).map((target) => ({ kind, target })));
  if (choices.length === 0) return undefined;
  const { kind, target } = choices[hash.readUInt32BE(4) % choices.length]!;
  const changed = apply(kind, target, structuredClone(fields), hash.readUInt32BE(8));
  return changed ? { kind, field: target.join('.'), understanding: { ...understanding, fields: changed } } : undefined;
}

/** Where a kind can strike: paths into the fields (a top-level name, or a list, an index and a name). */
function candidates(kind: MisreadKind, fields: Fields): Array<Array<string | number>> {
  switch (kind) {
    case 'digits': {
      const paths: Array<Array<string | number>> = Object.entries(fields)
        .filter(([, value]) => swappable(value))
        .map(([name]) => [name]);
      for (const [name, value] of Object.entries(fields)) {
        if (!Array.isArray(value)) continue;
        value.forEach((entry, index) => {
          if (typeof entry !== 'object' || entry === null) return;
          for (const [inner, innerValue] of Object.entries(entry as Fields)) if (inner === 'amount' && swappable(innerValue)) paths.push([name, index, inner]);
        });
      }
      return paths;
    }
    case 'subtotal_as_total':
      return typeof fields.subtotal === 'number' && typeof fields.total === 'number' && fields.subtotal !== fields.total ? [['total']] : [];
    case 'year':
      return Object.entries(fields)
        .filter(([, value]) => typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value))
        .map(([name]) => [name]);
    case 'dropped_line':
      return Object.entries(fields)
        .filter(([, value]) => Array.isArray(value) && value.length >= 2)
        .map(([name]) => [name]);
  }
}

function apply(kind: MisreadKind, path: Array<string | number>, fields: Fields, roll: number): Fields | undefined {
  const [head, index, inner] = path as [string, number | undefined, string | undefined];
  switch (kind) {
    case 'digits': {
      const holder = (index === undefined ? fields : (fields[head] as Fields[])[index]!) as Fields;
      const name = inner ?? head;
      holder[name] = swapDigits(holder[name] as number, roll);
      return fields;
    }
    case 'subtotal_as_total':
      fields.total = fields.subtotal;
      return fields;
    case 'year': {
      const [year, month, day] = (fields[head] as string).split('-').map(Number) as [number, number, number];
      const shifted = year + (roll % 2 === 0 ? 1 : -1);
      const lastDay = new Date(Date.UTC(shifted, month, 0)).getUTCDate();
      fields[head] = `${shifted}-${String(month).padStart(2, '0')}-${String(Math.min(day, lastDay)).padStart(2, '0')}`;
      return fields;
    }
    case 'dropped_line': {
      const list = fields[head] as unknown[];
      list.splice(roll % list.length, 1);
      return fields;
    }
  }
}

/** A number with two neighbouring digits that differ (swapping them changes it). */
function swappable(value: unknown): value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return false;
  const digits = value.toFixed(2).replace('.', '');
  return [...digits].some((digit, index) => index > 0 && digit !== digits[index - 1]);
}

/** The amount with two neighbouring differing digits swapped, as a misread print would (119.00 → 191.00). */
function swapDigits(value: number, roll: number): number {
  const digits = [...value.toFixed(2).replace('.', '')];
  const pairs = digits.flatMap((digit, index) => (index > 0 && digit !== digits[index - 1] ? [index] : []));
  const at = pairs[roll % pairs.length]!;
  [digits[at - 1], digits[at]] = [digits[at]!, digits[at - 1]!];
  return Number(digits.join('')) / 100;
}
