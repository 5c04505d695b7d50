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
