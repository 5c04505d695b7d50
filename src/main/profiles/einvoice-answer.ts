import type { EInvoiceFacts, EInvoiceReading } from '../../workers/einvoice/facts.ts';
import { canonicalJson, fingerprint } from '../state/fingerprint.ts';
import { type StepResult, ZERO_USAGE } from '../state/record.ts';
import type { Profile } from './profile.ts';

/** Bump when the mapping from EN 16931 terms to a profile's fields changes what it answers: part of the e-invoice step's fingerprint. */
const MAPPING_VERSION = 1;

/** Whether this profile answers e-invoices from their XML (it maps its fields to EN 16931 terms). */
export function readsEInvoices(profile: Profile): boolean {
  return profile.eInvoice !== undefined;
}

/** The e-invoice step's cache fingerprint: the mapping and the schema it fills, under this profile. */
export function eInvoiceFingerprint(profile: Profile): string {
  const mapping = profile.eInvoice!;
  return fingerprint({
    step: 'e-invoice',
    provider: 'e-invoice',
    endpoint: 'local',
    model: `en16931-map-v${MAPPING_VERSION}`,
    instruction: canonicalJson(mapping),
    schema: profile.extract[mapping.class]?.schema,
    pageWindow: 0,
    inputMode: 'xml',
    profile: profile.name,
    profileVersion: profile.version,
  });
}

/**
 * The answer an e-invoice gives, exactly as its XML says: the profile's e-invoice class, and each
 * mapped field from its business term (null where the XML has none, as for a field not on a page).
 */
export function eInvoiceAnswer(profile: Profile, reading: Extract<EInvoiceReading, { ok: true }>): StepResult {
  const mapping = profile.eInvoice!;
  const { facts } = reading;
  const properties = Object.keys(profile.extract[mapping.class]?.schema.properties ?? {});
  const fields = Object.fromEntries(properties.map((field) => [field, valueOf(mapping.fields[field], facts, mapping.lineFields ?? {})]));
  return {
    step: 'e-invoice',
    source: 'e-invoice',
    model: `e-invoice ${facts.profile}`,
    label: mapping.class,
    confidence: 1,
    fields,
    usage: ZERO_USAGE,
    at: Date.now(),
    eInvoice: { source: reading.source, profile: facts.profile, document: facts.document, typeCode: facts.typeCode },
  };
}

function valueOf(term: string | undefined, facts: EInvoiceFacts, lineFields: Readonly<Record<string, string>>): unknown {
  if (term === undefined) return null;
  if (term === 'BG-25')
    return facts.lines.map((line) => Object.fromEntries(Object.entries(lineFields).map(([field, lineTerm]) => [field, line[lineTerm] ?? null])));
  return facts.terms[term] ?? null;
}

/**
 * `--e-invoice verify`: each field the XML gives where the model read the pages otherwise. Amounts
 * agree within half a cent, text ignoring case and spacing; line items are compared by count. A
 * model that failed, or put the document in another class, disagrees on the class itself.
 */
export function disagreements(
  xml: Readonly<Record<string, unknown>>,
  model: { readonly label: string | null; readonly fields: Readonly<Record<string, unknown>> | null } | undefined,
  xmlLabel: string,
): Record<string, { xml: unknown; model: unknown }> {
  if (!model || model.label !== xmlLabel) return { class: { xml: xmlLabel, model: model?.label ?? null } };
  const found: Record<string, { xml: unknown; model: unknown }> = {};
  for (const [field, value] of Object.entries(xml)) {
    if (value === null || value === undefined) continue;
    const read = model.fields?.[field] ?? null;
    if (!same(value, read))
      found[field] = Array.isArray(value) ? { xml: value.length, model: Array.isArray(read) ? read.length : read } : { xml: value, model: read };
  }
  return found;
}

function same(xml: unknown, model: unknown): boolean {
  if (Array.isArray(xml)) return Array.isArray(model) && model.length === xml.length;
  if (typeof xml === 'number') return typeof model === 'number' && Math.abs(model - xml) < 0.005;
  const text = (value: unknown) => String(value).replace(/\s+/g, ' ').trim().toLowerCase();
  return model !== null && model !== undefined && text(model) === text(xml);
}
