import { XMLParser } from 'fast-xml-parser';
import type { EInvoiceFacts, EInvoiceReading } from './facts.ts';

/** An e-invoice is tens of kilobytes; the largest real ones (thousands of lines) a few megabytes. */
export const MAX_EINVOICE_BYTES = 8 * 1024 * 1024;
/** CII nests about a dozen levels deep; far more is a document built to exhaust a parser. */
const MAX_DEPTH = 64;

/** Elements that may repeat, read as arrays whatever their count (fast-xml-parser makes one of a kind an object). */
const REPEATED = new Set([
  'IncludedSupplyChainTradeLineItem',
  'SpecifiedTaxRegistration',
  'TaxTotalAmount',
  'GrandTotalAmount',
  'SpecifiedTradePaymentTerms',
  'InvoiceLine',
  'CreditNoteLine',
  'TaxTotal',
  'PartyTaxScheme',
  'PaymentMeans',
]);

/**
 * Reads an e-invoice's XML: Factur-X / ZUGFeRD 2 / XRechnung CII, ZUGFeRD 1.0, or UBL 2.1 (XRechnung,
 * Peppol BIS, EN 16931). Undefined when the XML is not an e-invoice at all. Hostile XML is bad
 * input, nothing more: a DTD (the door to XXE and entity expansion) is refused before parsing,
 * entities are never expanded by the parser, and size and depth are bounded.
 */
export function readEInvoiceXml(xml: string, source: string): EInvoiceReading | undefined {
  const root = rootName(xml);
  if (root === undefined || !['CrossIndustryInvoice', 'CrossIndustryDocument', 'Invoice', 'CreditNote'].includes(root)) return undefined;
  const refuse = (reason: string): EInvoiceReading => ({ ok: false, reason, source });
  if (Buffer.byteLength(xml) > MAX_EINVOICE_BYTES) return refuse(`the XML is larger than ${MAX_EINVOICE_BYTES / 1024 / 1024} MB`);
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return refuse('the XML declares a DTD or entities, which no e-invoice does; not read (XXE, entity expansion)');
  const depth = nestingDepth(xml);
  if (depth > MAX_DEPTH) return refuse(`the XML nests deeper than ${MAX_DEPTH} levels`);
  let parsed: Record<string, unknown>;
  try {
    parsed = new XMLParser({
      removeNSPrefix: true,
      ignoreAttributes: false,
      attributeNamePrefix: '@',
      processEntities: false,
      parseTagValue: false,
      parseAttributeValue: false,
      trimValues: true,
      isArray: (name) => REPEATED.has(name),
    }).parse(xml, true) as Record<string, unknown>;
  } catch (error) {
    return refuse(`the XML is not well-formed (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  const document = parsed[root] as Node | undefined;
  if (!document || typeof document !== 'object') return refuse(`the ${root} element is empty`);
  const facts =
    root === 'CrossIndustryInvoice' ? readCii(document, CII) : root === 'CrossIndustryDocument' ? readCii(document, ZUGFERD_1) : readUbl(document, root);
  const missing = ['BT-1', 'BT-2', 'BT-5', 'BT-112'].filter((term) => facts.terms[term] === null || facts.terms[term] === undefined);
  if (missing.length > 0) return refuse(`the e-invoice lacks ${missing.join(', ')} (invoice number, issue date, currency, total)`);
  return { ok: true, facts, source };
}

type Node = Record<string, unknown>;

/** Where CII keeps each term: ZUGFeRD 1.0's CrossIndustryDocument names the same places differently. */
interface CiiPlaces {
  readonly syntax: 'cii' | 'zugferd-1';
  readonly context: string;
  readonly header: string;
  readonly transaction: string;
  readonly agreement: string;
  readonly settlement: string;
  readonly totals: string;
  readonly lineDelivery: string;
  readonly lineAgreement: string;
  readonly lineSettlement: string;
  readonly lineTotals: string;
}

const CII: CiiPlaces = {
  syntax: 'cii',
  context: 'ExchangedDocumentContext',
  header: 'ExchangedDocument',
  transaction: 'SupplyChainTradeTransaction',
  agreement: 'ApplicableHeaderTradeAgreement',
  settlement: 'ApplicableHeaderTradeSettlement',
  totals: 'SpecifiedTradeSettlementHeaderMonetarySummation',
  lineDelivery: 'SpecifiedLineTradeDelivery',
  lineAgreement: 'SpecifiedLineTradeAgreement',
  lineSettlement: 'SpecifiedLineTradeSettlement',
  lineTotals: 'SpecifiedTradeSettlementLineMonetarySummation',
};

const ZUGFERD_1: CiiPlaces = {
  syntax: 'zugferd-1',
  context: 'SpecifiedExchangedDocumentContext',
  header: 'HeaderExchangedDocument',
  transaction: 'SpecifiedSupplyChainTradeTransaction',
  agreement: 'ApplicableSupplyChainTradeAgreement',
  settlement: 'ApplicableSupplyChainTradeSettlement',
  totals: 'SpecifiedTradeSettlementMonetarySummation',
  lineDelivery: 'SpecifiedSupplyChainTradeDelivery',
  lineAgreement: 'SpecifiedSupplyChainTradeAgreement',
  lineSettlement: 'SpecifiedSupplyChainTradeSettlement',
  lineTotals: 'SpecifiedTradeSettlementMonetarySummation',
};

function readCii(root: Node, places: CiiPlaces): EInvoiceFacts {
  const guideline = text(at(root, places.context, 'GuidelineSpecifiedDocumentContextParameter', 'ID')) ?? '';
  const header = at(root, places.header);
  const transaction = at(root, places.transaction);
  const agreement = at(transaction, places.agreement);
  const settlement = at(transaction, places.settlement);
  const totals = at(settlement, places.totals);
  const currency = text(at(settlement, 'InvoiceCurrencyCode'));
  const typeCode = text(at(header, 'TypeCode')) ?? '380';
  return {
    syntax: places.syntax,
    guideline,
    profile: profileOf(places.syntax, guideline),
    typeCode,
    document: typeCode === '381' ? 'credit_note' : 'invoice',
    terms: {
      'BT-1': text(at(header, 'ID')),
      'BT-2': ciiDate(at(header, 'IssueDateTime', 'DateTimeString')),
      'BT-9': ciiDate(at(first(at(settlement, 'SpecifiedTradePaymentTerms')), 'DueDateDateTime', 'DateTimeString')),
      'BT-5': currency,
      'BT-27': text(at(agreement, 'SellerTradeParty', 'Name')),
      'BT-31': vatOf(at(agreement, 'SellerTradeParty', 'SpecifiedTaxRegistration')),
      'BT-44': text(at(agreement, 'BuyerTradeParty', 'Name')),
      'BT-48': vatOf(at(agreement, 'BuyerTradeParty', 'SpecifiedTaxRegistration')),
      'BT-106': amount(at(totals, 'LineTotalAmount')),
      'BT-109': amount(at(totals, 'TaxBasisTotalAmount')),
      'BT-110': amount(inCurrency(at(totals, 'TaxTotalAmount'), currency)),
      'BT-112': amount(inCurrency(at(totals, 'GrandTotalAmount'), currency)),
      'BT-115': amount(at(totals, 'DuePayableAmount')),
    },
    lines: list(at(transaction, 'IncludedSupplyChainTradeLineItem')).map((line) => ({
      'BT-153': text(at(line, 'SpecifiedTradeProduct', 'Name')),
      'BT-129': amount(at(line, places.lineDelivery, 'BilledQuantity')),
      'BT-146': amount(at(line, places.lineAgreement, 'NetPriceProductTradePrice', 'ChargeAmount')),
      'BT-131': amount(at(line, places.lineSettlement, places.lineTotals, 'LineTotalAmount')),
    })),
  };
}

function readUbl(root: Node, kind: 'Invoice' | 'CreditNote' | string): EInvoiceFacts {
  const guideline = text(at(root, 'CustomizationID')) ?? '';
  const currency = text(at(root, 'DocumentCurrencyCode'));
  const creditNote = kind === 'CreditNote';
  const typeCode = text(at(root, creditNote ? 'CreditNoteTypeCode' : 'InvoiceTypeCode')) ?? (creditNote ? '381' : '380');
  const totals = at(root, 'LegalMonetaryTotal');
  const party = (role: string) => at(root, role, 'Party');
  const nameOf = (node: unknown) => text(at(node, 'PartyLegalEntity', 'RegistrationName')) ?? text(at(node, 'PartyName', 'Name'));
  const vatOfParty = (node: unknown) => {
    const schemes = list(at(node, 'PartyTaxScheme'));
    return text(at(schemes.find((scheme) => text(at(scheme, 'TaxScheme', 'ID')) === 'VAT') ?? schemes[0], 'CompanyID'));
  };
  const taxTotals = list(at(root, 'TaxTotal')).map((total) => at(total, 'TaxAmount'));
  return {
    syntax: 'ubl',
    guideline,
    profile: profileOf('ubl', guideline),
    typeCode,
    document: creditNote || typeCode === '381' ? 'credit_note' : 'invoice',
    terms: {
      'BT-1': text(at(root, 'ID')),
      'BT-2': isoDate(text(at(root, 'IssueDate'))),
      'BT-9': isoDate(text(at(root, 'DueDate')) ?? text(at(first(at(root, 'PaymentMeans')), 'PaymentDueDate'))),
      'BT-5': currency,
      'BT-27': nameOf(party('AccountingSupplierParty')),
      'BT-31': vatOfParty(party('AccountingSupplierParty')),
      'BT-44': nameOf(party('AccountingCustomerParty')),
      'BT-48': vatOfParty(party('AccountingCustomerParty')),
      'BT-106': amount(at(totals, 'LineExtensionAmount')),
      'BT-109': amount(at(totals, 'TaxExclusiveAmount')),
      'BT-110': amount(inCurrency(taxTotals, currency)),
      'BT-112': amount(at(totals, 'TaxInclusiveAmount')),
      'BT-115': amount(at(totals, 'PayableAmount')),
    },
    lines: list(at(root, creditNote ? 'CreditNoteLine' : 'InvoiceLine')).map((line) => ({
      'BT-153': text(at(line, 'Item', 'Name')),
      'BT-129': amount(at(line, creditNote ? 'CreditedQuantity' : 'InvoicedQuantity')),
      'BT-146': amount(at(line, 'Price', 'PriceAmount')),
      'BT-131': amount(at(line, 'LineExtensionAmount')),
    })),
  };
}

/** docpool's short name for a specification identifier (BT-24). */
function profileOf(syntax: EInvoiceFacts['syntax'], guideline: string): string {
  const id = guideline.toLowerCase();
  if (id.includes('xrechnung')) return syntax === 'ubl' ? 'xrechnung-ubl' : 'xrechnung-cii';
  if (id.includes('peppol')) return 'peppol-bis-3';
  if (syntax === 'zugferd-1') return `zugferd-1 ${id.split(':').pop()?.toUpperCase() ?? ''}`.trim();
  if (syntax === 'ubl') return 'en16931-ubl';
  const level = id.includes('minimum')
    ? 'MINIMUM'
    : id.includes('basicwl')
      ? 'BASIC WL'
      : id.includes('extended')
        ? 'EXTENDED'
        : id.includes('basic')
          ? 'BASIC'
          : 'EN16931';
  return `factur-x ${level}`;
}

/** The first element's local name after the prolog, comments, processing instructions and a DTD (refused later, by name). */
function rootName(xml: string): string | undefined {
  const match = /^(?:\uFEFF)?\s*(?:<\?[\s\S]*?\?>\s*|<!--[\s\S]*?-->\s*|<!DOCTYPE[^[>]*(?:\[[\s\S]*?\])?\s*>\s*)*<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)/.exec(
    xml.slice(0, 64 * 1024),
  );
  return match?.[2];
}

/** How deep elements nest, counted in one pass (stopping once past the bound). */
function nestingDepth(xml: string): number {
  let depth = 0;
  let deepest = 0;
  for (const match of xml.matchAll(/<(\/?)([A-Za-z_][^\s/>]*)[^>]*?(\/?)>/g)) {
    if (match[1]) depth--;
    else if (!match[3]) deepest = Math.max(deepest, ++depth);
    if (deepest > MAX_DEPTH) break;
  }
  return deepest;
}

function at(node: unknown, ...path: string[]): unknown {
  let current = node;
  for (const key of path) {
    if (Array.isArray(current)) current = current[0];
    if (!current || typeof current !== 'object') return undefined;
    current = (current as Node)[key];
  }
  return current;
}

function list(node: unknown): unknown[] {
  if (node === undefined || node === null) return [];
  return Array.isArray(node) ? node : [node];
}

function first(node: unknown): unknown {
  return list(node)[0];
}

/** An element's text (entities decoded here: the parser expands none), or null when it is absent or empty. */
function text(node: unknown): string | null {
  const value = Array.isArray(node) ? node[0] : node;
  const raw = typeof value === 'string' ? value : value && typeof value === 'object' ? (value as Node)['#text'] : undefined;
  if (typeof raw !== 'string' && typeof raw !== 'number') return null;
  const decoded = decodeEntities(String(raw)).replace(/\s+/g, ' ').trim();
  return decoded === '' ? null : decoded;
}

function amount(node: unknown): number | null {
  const value = text(node);
  if (value === null) return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

/** Of several amounts, the one in the invoice currency (CII repeats tax and grand totals in the accounting currency). */
function inCurrency(node: unknown, currency: string | null): unknown {
  const amounts = list(node);
  return amounts.find((entry) => entry && typeof entry === 'object' && (entry as Node)['@currencyID'] === currency) ?? amounts[0];
}

/** A party's VAT id (schemeID VA), else its first tax registration. */
function vatOf(registrations: unknown): string | null {
  const entries = list(registrations).map((entry) => at(entry, 'ID'));
  const vat = entries.find((id) => id && typeof id === 'object' && (id as Node)['@schemeID'] === 'VA');
  return text(vat ?? entries[0]);
}

/** CII dates are format 102 (YYYYMMDD); anything else is kept as written. */
function ciiDate(node: unknown): string | null {
  const value = text(node);
  if (value === null) return null;
  const digits = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  return digits ? `${digits[1]}-${digits[2]}-${digits[3]}` : value;
}

function isoDate(value: string | null): string | null {
  return value === null ? null : value.slice(0, 10);
}

const NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML's five named entities and numeric character references; anything else stays as written. */
function decodeEntities(value: string): string {
  if (!value.includes('&')) return value;
  return value.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|amp|lt|gt|quot|apos);/g, (whole, name: string) => {
    if (name.startsWith('#')) {
      const code = name[1] === 'x' ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED[name] ?? whole;
  });
}
