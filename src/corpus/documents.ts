import { checkVAT, france, germany, unitedKingdom } from 'jsvat';
import { addDays, CURRENCIES, formatDate, formatMoney, isoDate, type Lang, WORDS } from './locale.ts';
import type { Rng } from './rng.ts';
import type { FieldRecord, Fields, FinanceLabel, GroundTruth } from './truth.ts';

/** A generated document before rendering: its truth and the text lines of each page. */
export interface DocumentContent {
  readonly truth: GroundTruth;
  readonly pages: readonly (readonly string[])[];
}

const LINES_PER_PAGE = 50;
const COMPANY_STEMS = ['Nordwind', 'Acme', 'Blue Harbor', 'Rheinland', 'Lumière', 'Kestrel', 'Alpenglow', 'Harbourside', 'Vireo', 'Brightline'];
const COMPANY_SUFFIX: Record<Lang, readonly string[]> = { en: ['Ltd', 'Inc.', 'LLC'], de: ['GmbH', 'AG', 'KG'], fr: ['SARL', 'SAS', 'SA'] };
const PEOPLE = ['Anna Schmidt', 'James Miller', 'Claire Dubois', 'Lukas Weber', 'Sophie Martin', 'Oliver Brown', 'Emma Fischer', 'Hugo Laurent'];
const TAX_PREFIX: Record<Lang, string> = { en: 'GB', de: 'DE', fr: 'FR' };

/** Builds one document of the given class, language and page count, with its ground truth. */
export function composeDocument(label: FinanceLabel, lang: Lang, pageCount: number, rng: Rng): DocumentContent {
  const style = {
    date: rng.chance(0.3) ? ('iso' as const) : ('local' as const),
    symbol: rng.chance(0.5),
    layout: rng.int(0, 2),
  };
  const draft = COMPOSERS[label]({ lang, rng, style });
  return { truth: { class: label, fields: draft.fields, lang }, pages: paginate(draft.head, draft.filler, pageCount, lang) };
}

interface ComposeContext {
  readonly lang: Lang;
  readonly rng: Rng;
  readonly style: { readonly date: 'iso' | 'local'; readonly symbol: boolean; readonly layout: number };
}

interface Draft {
  readonly fields: Fields;
  /** Lines of the first page (the part that identifies the document). */
  readonly head: readonly string[];
  /** Produces body lines for the pages after the first (statement rows, clauses, item lists). */
  readonly filler: (index: number) => string;
}

const COMPOSERS: Record<FinanceLabel, (context: ComposeContext) => Draft> = {
  vendor_invoice: composeInvoice,
  employee_expense_report: composeExpenseReport,
  receipt: composeReceipt,
  purchase_order: composePurchaseOrder,
  bank_statement: composeStatement,
  contract: composeContract,
  other: composeLetter,
};

function composeInvoice({ lang, rng, style }: ComposeContext): Draft {
  const w = WORDS[lang];
  const currency = rng.pick(CURRENCIES[lang]);
  const vendor = company(rng, lang);
  const customer = company(rng, lang);
  const issued = randomDate(rng);
  const items = lineItems(rng, lang, rng.int(1, 6));
  const subtotal = round2(items.reduce((sum, item) => sum + (item.amount as number), 0));
  const rate = lang === 'en' ? 0.2 : lang === 'de' ? 0.19 : 0.2;
  const tax = round2(subtotal * rate);
  const total = round2(subtotal + tax);
  const fields: Fields = {
    invoice_number: `${rng.pick(['INV', 'RE', 'FA', 'F'])}-${issued.slice(0, 4)}-${String(rng.int(1, 99999)).padStart(5, '0')}`,
    invoice_date: issued,
    due_date: addDays(issued, rng.pick([14, 30, 45])),
    currency,
    subtotal,
    tax,
    total,
    vendor_name: vendor,
    vendor_tax_id: vatId(lang, rng.int(100000000, 999999999)),
    customer_name: customer,
    line_items: items,
  };
  const money = (value: number) => formatMoney(value, currency, lang, style.symbol);
  const header = [vendor, `${w.vatId}: ${fields.vendor_tax_id}`, '', w.invoice, ''];
  const meta = [
    `${w.invoiceNo}: ${fields.invoice_number}`,
    `${w.invoiceDate}: ${formatDate(issued, lang, style.date)}`,
    `${w.due}: ${formatDate(fields.due_date as string, lang, style.date)}`,
  ];
  const billTo = [`${w.billTo}:`, customer, ''];
  const table = [
    `${w.description} | ${w.qty} | ${w.unitPrice} | ${w.amount}`,
    ...items.map((item) => `${item.description} | ${item.quantity} | ${money(item.unit_price as number)} | ${money(item.amount as number)}`),
    '',
  ];
  const totals = [`${w.subtotal}: ${money(subtotal)}`, `${w.tax} ${Math.round(rate * 100)}%: ${money(tax)}`, `${w.total}: ${money(total)}`];
  const blocks =
    style.layout === 1
      ? [header, billTo, meta, table, totals]
      : style.layout === 2
        ? [header, meta, totals, billTo, table]
        : [header, meta, billTo, table, totals];
  return { fields, head: blocks.flat(), filler: (index) => `${w.description} ${index}: ${rng.pick(w.items)}` };
}

function composeExpenseReport({ lang, rng, style }: ComposeContext): Draft {
  const w = WORDS[lang];
  const currency = rng.pick(CURRENCIES[lang]);
  const start = randomDate(rng);
  const end = addDays(start, rng.int(3, 27));
  const items: FieldRecord[] = Array.from({ length: rng.int(2, 7) }, (_, index) => ({
    date: addDays(start, index),
    category: rng.pick(w.categories),
    amount: rng.amount(8, 420),
  }));
  const total = round2(items.reduce((sum, item) => sum + (item.amount as number), 0));
  const fields: Fields = {
    employee_name: rng.pick(PEOPLE),
    report_date: addDays(end, 2),
    period_start: start,
    period_end: end,
    currency,
    total,
    items,
  };
  const money = (value: number) => formatMoney(value, currency, lang, style.symbol);
  const head = [
    company(rng, lang),
    w.expense,
    '',
    `${w.employee}: ${fields.employee_name}`,
    `${w.period}: ${formatDate(start, lang, style.date)} - ${formatDate(end, lang, style.date)}`,
    `${w.reportDate}: ${formatDate(fields.report_date as string, lang, style.date)}`,
    '',
    `${w.reportDate} | ${w.category} | ${w.amount}`,
    ...items.map((item) => `${formatDate(item.date as string, lang, style.date)} | ${item.category} | ${money(item.amount as number)}`),
    '',
    `${w.reimbursable}: ${money(total)}`,
    `${w.approvedBy}: ${rng.pick(PEOPLE)}`,
  ];
  return { fields, head, filler: (index) => `${w.category} ${index}: ${rng.pick(w.categories)}` };
}

function composeReceipt({ lang, rng, style }: ComposeContext): Draft {
  const w = WORDS[lang];
  const currency = rng.pick(CURRENCIES[lang]);
  const merchant = company(rng, lang);
  const date = randomDate(rng);
  const articles = Array.from({ length: rng.int(1, 6) }, () => ({ name: rng.pick(w.items), price: rng.amount(1, 60) }));
  const total = round2(articles.reduce((sum, article) => sum + article.price, 0));
  const tax = round2(total - total / (lang === 'de' ? 1.19 : 1.2));
  const payment = rng.chance(0.6) ? w.card : w.cash;
  const fields: Fields = { merchant_name: merchant, receipt_date: date, currency, total, tax, payment_method: payment === w.card ? 'card' : 'cash' };
  const money = (value: number) => formatMoney(value, currency, lang, style.symbol);
  const head = [
    merchant,
    w.receipt,
    formatDate(date, lang, style.date),
    '',
    ...articles.map((article) => `${article.name}  ${money(article.price)}`),
    '',
    `${w.total}: ${money(total)}`,
    `${w.tax}: ${money(tax)}`,
    `${w.paidBy}: ${payment}`,
    w.thanks,
  ];
  return { fields, head, filler: (index) => `${index} ${rng.pick(w.items)}` };
}

function composePurchaseOrder({ lang, rng, style }: ComposeContext): Draft {
  const w = WORDS[lang];
  const currency = rng.pick(CURRENCIES[lang]);
  const items = lineItems(rng, lang, rng.int(1, 5));
  const total = round2(items.reduce((sum, item) => sum + (item.amount as number), 0));
  const date = randomDate(rng);
  const fields: Fields = {};
  const money = (value: number) => formatMoney(value, currency, lang, style.symbol);
  const head = [
    company(rng, lang),
    w.purchaseOrder,
    '',
    `${w.poNo}: PO-${rng.int(10000, 99999)}`,
    `${w.orderDate}: ${formatDate(date, lang, style.date)}`,
    `${w.supplier}: ${company(rng, lang)}`,
    `${w.shipTo}: ${company(rng, lang)}`,
    '',
    ...items.map((item) => `${item.description} | ${item.quantity} | ${money(item.amount as number)}`),
    `${w.total}: ${money(total)}`,
  ];
  return { fields, head, filler: (index) => `${w.description} ${index}: ${rng.pick(w.items)}` };
}

function composeStatement({ lang, rng, style }: ComposeContext): Draft {
  const w = WORDS[lang];
  const currency = rng.pick(CURRENCIES[lang]);
  const start = randomDate(rng);
  let balance = rng.amount(100, 20000);
  const money = (value: number) => formatMoney(value, currency, lang, style.symbol);
  const head = [
    `${rng.pick(['First', 'Sparkasse', 'Crédit', 'Volks', 'Harbor'])} Bank`,
    w.statement,
    `${w.holder}: ${rng.pick(PEOPLE)}`,
    `IBAN: ${TAX_PREFIX[lang]}${rng.int(10, 99)} ${rng.int(1000, 9999)} ${rng.int(1000, 9999)} ${rng.int(1000, 9999)}`,
    `${w.period}: ${formatDate(start, lang, style.date)} - ${formatDate(addDays(start, 30), lang, style.date)}`,
    `${w.opening}: ${money(balance)}`,
    '',
  ];
  const filler = (index: number) => {
    const change = rng.amount(-500, 500);
    balance = round2(balance + change);
    return `${formatDate(addDays(start, index % 30), lang, style.date)}  ${rng.pick(w.items)}  ${money(change)}  ${money(balance)}`;
  };
  return { fields: {}, head, filler };
}

function composeContract({ lang, rng, style }: ComposeContext): Draft {
  const w = WORDS[lang];
  const head = [
    w.agreement,
    '',
    `${w.between} ${company(rng, lang)} ${w.and} ${company(rng, lang)}.`,
    `${w.effective}: ${formatDate(randomDate(rng), lang, style.date)}`,
    '',
    ...w.clauses.map((clause, index) => `${w.clause} ${index + 1}. ${clause}`),
  ];
  return { fields: {}, head, filler: (index) => `${w.clause} ${index + 5}. ${rng.pick(w.clauses)}` };
}

function composeLetter({ lang, rng }: ComposeContext): Draft {
  const w = WORDS[lang];
  const head = [
    company(rng, lang),
    '',
    `${w.subjectLine}: ${rng.pick(w.letterBody).split(' ').slice(0, 5).join(' ')}`,
    '',
    `${w.dear},`,
    '',
    rng.pick(w.letterBody),
    rng.pick(w.letterBody),
    '',
    w.regards,
    rng.pick(PEOPLE),
  ];
  return { fields: {}, head, filler: () => rng.pick(w.letterBody) };
}

function lineItems(rng: Rng, lang: Lang, count: number): FieldRecord[] {
  return Array.from({ length: count }, () => {
    const quantity = rng.int(1, 12);
    const unitPrice = rng.amount(5, 900);
    return { description: rng.pick(WORDS[lang].items), quantity, unit_price: unitPrice, amount: round2(quantity * unitPrice) };
  });
}

/** Splits content into pages: the head opens page 1, filler lines make up the rest, each page footed "Page i of n". */
function paginate(head: readonly string[], filler: (index: number) => string, pageCount: number, lang: Lang): string[][] {
  const w = WORDS[lang];
  const pages: string[][] = [];
  let fillIndex = 1;
  for (let page = 1; page <= pageCount; page++) {
    const lines = page === 1 ? [...head] : [];
    if (page > 1) while (lines.length < LINES_PER_PAGE - 2) lines.push(filler(fillIndex++));
    if (pageCount > 1) lines.push('', `${w.page} ${page} ${w.of} ${pageCount}`);
    pages.push(lines);
  }
  return pages;
}

function company(rng: Rng, lang: Lang): string {
  return `${rng.pick(COMPANY_STEMS)} ${rng.pick(['Trading', 'Systems', 'Logistik', 'Services', 'Partners', 'Consulting'])} ${rng.pick(COMPANY_SUFFIX[lang])}`;
}

/**
 * A VAT id with valid check digits, as real invoices carry: the drawn number with its last digits
 * (DE, GB) or its key (FR) set so the country's checksum holds. No extra draw: the corpus's other
 * documents stay as they were for the same seed.
 */
function vatId(lang: Lang, drawn: number): string {
  const digits = String(drawn);
  const candidates =
    lang === 'fr'
      ? Array.from({ length: 100 }, (_, key) => `FR${String(key).padStart(2, '0')}${digits}`)
      : lang === 'de'
        ? Array.from({ length: 10 }, (_, last) => `DE${digits.slice(0, 8)}${last}`)
        : Array.from({ length: 100 }, (_, last) => `GB${digits.slice(0, 7)}${String(last).padStart(2, '0')}`);
  return candidates.find((candidate) => checkVAT(candidate, [france, germany, unitedKingdom]).isValid) ?? `${TAX_PREFIX[lang]}${digits}`;
}

function randomDate(rng: Rng): string {
  return isoDate(rng.int(2021, 2025), rng.int(1, 12), rng.int(1, 28));
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
