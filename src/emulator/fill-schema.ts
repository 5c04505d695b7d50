import type { Understanding } from './read-request.ts';

/** The subset of the OpenAPI-style schema Gemini accepts in `responseSchema` (types upper-cased by the SDK). */
interface Schema {
  readonly type?: string | readonly string[];
  readonly enum?: readonly unknown[];
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly items?: Schema;
  readonly nullable?: boolean;
}

/** Property names that ask for the document's class, whatever a profile calls it. */
const LABEL_NAMES = new Set(['label', 'class', 'category', 'document_type', 'documenttype', 'type', 'doc_type']);
/** Array properties that ask for the documents a file holds (a split): each item a document's pages and class. */
const DOCUMENT_LIST_NAMES = new Set(['documents', 'segments', 'parts']);

/**
 * Produces an answer that follows the request's response schema from what the emulator
 * understood of the document: enum properties get the class (or the closest allowed value),
 * other properties the field of the same name, and what it does not know is null where the
 * schema allows it, else an empty value of the right type — as a careful model would answer.
 */
export function fillSchema(schema: unknown, understanding: Understanding): unknown {
  return fill(schema as Schema, understanding, understanding.fields, undefined);
}

function fill(schema: Schema, understanding: Understanding, scope: Readonly<Record<string, unknown>>, name: string | undefined): unknown {
  const type = normaliseType(schema.type);
  if (schema.enum && schema.enum.length > 0) {
    const known = name === undefined ? undefined : lookup(name, understanding, scope);
    if (schema.enum.includes(known)) return known;
    // An enum that is not a field of the document is the class question (of the listed document, inside a split's list).
    if (name === undefined || LABEL_NAMES.has(name.toLowerCase())) return pickEnum(schema.enum, typeof known === 'string' ? known : understanding.label);
    return schema.nullable ? null : schema.enum[0];
  }
  if (type === 'OBJECT') {
    const result: Record<string, unknown> = {};
    const properties = Object.entries(schema.properties ?? {});
    for (const [key, child] of properties) result[key] = fill(child, understanding, scope, key);
    // An object named after a class the schema offers is asked only of a document of that class
    // (class and fields in one answer): a careful model leaves the other classes' objects null.
    const labelKey = properties.find(([key, child]) => LABEL_NAMES.has(key.toLowerCase()) && child.enum)?.[0];
    const classes = labelKey ? (schema.properties![labelKey]!.enum ?? []) : [];
    for (const [key, child] of properties) {
      if (classes.includes(key) && key !== result[labelKey!] && (child.nullable || isNullableType(child.type))) result[key] = null;
    }
    return result;
  }
  const known = name === undefined ? undefined : lookup(name, understanding, scope);
  if (type === 'ARRAY') {
    if (!Array.isArray(known)) return [];
    const items = schema.items ?? {};
    return known.map((item: unknown) =>
      normaliseType(items.type) === 'OBJECT' ? fill(items, understanding, (item ?? {}) as Record<string, unknown>, undefined) : item,
    );
  }
  if (known !== undefined && known !== null) return coerce(known, type);
  return schema.nullable || isNullableType(schema.type) ? null : emptyOf(type);
}

function lookup(name: string, understanding: Understanding, scope: Readonly<Record<string, unknown>>): unknown {
  if (name in scope) return scope[name];
  const lower = name.toLowerCase();
  if (DOCUMENT_LIST_NAMES.has(lower))
    return understanding.documents.map((document) => ({ ...document, start_page: document.first_page, end_page: document.last_page }));
  if (LABEL_NAMES.has(lower)) return understanding.label;
  if (lower === 'confidence') return understanding.confidence;
  return undefined;
}

/**
 * The class the request offers that names what the document is: the exact class when the document
 * states one, else the first class whose name contains the kind read from the text ("invoice" →
 * vendor_invoice), else "other", as a model picks the nearest label it was given.
 */
function pickEnum(values: readonly unknown[], label: string): unknown {
  if (values.includes(label)) return label;
  const byKind = values.find((value) => typeof value === 'string' && label !== 'other' && value.toLowerCase().includes(label.toLowerCase()));
  if (byKind !== undefined) return byKind;
  if (values.includes('other')) return 'other';
  return values[values.length - 1];
}

function coerce(value: unknown, type: string): unknown {
  if (type === 'NUMBER' || type === 'INTEGER') {
    const number = typeof value === 'number' ? value : Number(value);
    return Number.isFinite(number) ? (type === 'INTEGER' ? Math.round(number) : number) : 0;
  }
  if (type === 'STRING') return typeof value === 'string' ? value : String(value);
  if (type === 'BOOLEAN') return Boolean(value);
  return value;
}

function emptyOf(type: string): unknown {
  if (type === 'NUMBER' || type === 'INTEGER') return 0;
  if (type === 'BOOLEAN') return false;
  if (type === 'ARRAY') return [];
  if (type === 'OBJECT') return {};
  return '';
}

function normaliseType(type: string | readonly string[] | undefined): string {
  const first = Array.isArray(type) ? type.find((candidate) => String(candidate).toUpperCase() !== 'NULL') : type;
  return String(first ?? 'STRING').toUpperCase();
}

function isNullableType(type: string | readonly string[] | undefined): boolean {
  return Array.isArray(type) && type.some((candidate) => String(candidate).toUpperCase() === 'NULL');
}
