/**
 * How well the offline provider reads documents: classification (invoice-like or not) and exact
 * invoice number / date / total on the real invoices of ../shared/corpus, and class and field
 * accuracy on a generated corpus. Used by `npm run bench` and by a test that fails if it drops.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ManifestEntry } from '../src/corpus/generate.ts';
import { readByRules } from '../src/offline/rules.ts';
import { prepareFile } from '../src/workers/prepare.ts';
import { loadInvoiceTruth } from './real-invoice-truth.ts';

export interface Rate {
  readonly correct: number;
  readonly total: number;
}

export interface RealCorpusAccuracy {
  /** invoices/ read as vendor_invoice or receipt; general/ and scanned/ read as anything else. */
  readonly invoiceLike: Rate;
  readonly invoiceNumber: Rate;
  readonly invoiceDate: Rate;
  readonly total: Rate;
  /** Files read without an exception (all of them must be). */
  readonly filesRead: number;
}

const INVOICE_LIKE = new Set(['vendor_invoice', 'receipt']);

async function textOf(path: string): Promise<string | undefined> {
  const result = await prepareFile({ path, pageWindow: 5, maxFileBytes: 1 << 30, buildSubset: false });
  return result.kind === 'prepared' ? result.text : undefined;
}

export async function realCorpusAccuracy(corpus: string): Promise<RealCorpusAccuracy> {
  const truth = loadInvoiceTruth(corpus);
  const rates = { invoiceLike: [0, 0], invoiceNumber: [0, 0], invoiceDate: [0, 0], total: [0, 0] } as Record<
    keyof Omit<RealCorpusAccuracy, 'filesRead'>,
    [number, number]
  >;
  const score = (name: keyof typeof rates, ok: boolean) => {
    rates[name][0] += ok ? 1 : 0;
    rates[name][1] += 1;
  };
  let filesRead = 0;
  for (const folder of ['invoices', 'general', 'scanned', 'large', 'malformed']) {
    const dir = join(corpus, folder);
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir)) {
      const text = await textOf(join(dir, file));
      filesRead++;
      if (text === undefined || folder === 'malformed') continue;
      const reading = readByRules(text);
      if (folder === 'invoices') score('invoiceLike', INVOICE_LIKE.has(reading.label));
      else if (folder !== 'large') score('invoiceLike', !INVOICE_LIKE.has(reading.label));
      const expected = folder === 'invoices' ? truth.get(file) : undefined;
      if (!expected) continue;
      if (expected.invoiceNumber !== null) score('invoiceNumber', reading.fields.invoice_number === expected.invoiceNumber);
      if (expected.date !== null) score('invoiceDate', reading.fields.invoice_date === expected.date);
      if (expected.total !== null) score('total', reading.fields.total === expected.total);
    }
  }
  const rate = ([correct, total]: [number, number]): Rate => ({ correct, total });
  return {
    invoiceLike: rate(rates.invoiceLike),
    invoiceNumber: rate(rates.invoiceNumber),
    invoiceDate: rate(rates.invoiceDate),
    total: rate(rates.total),
    filesRead,
  };
}

export interface GeneratedAccuracy {
  /** Exact class, over intact files with a text layer. */
  readonly label: Rate;
  /** Image-only files answered `other` with confidence 0. */
  readonly scannedHonest: Rate;
  readonly invoiceNumber: Rate;
  readonly invoiceDate: Rate;
  readonly total: Rate;
  readonly vendorName: Rate;
}

export async function generatedAccuracy(corpus: string, manifest: readonly ManifestEntry[]): Promise<GeneratedAccuracy> {
  const counts = { label: [0, 0], scannedHonest: [0, 0], invoiceNumber: [0, 0], invoiceDate: [0, 0], total: [0, 0], vendorName: [0, 0] } as Record<
    keyof GeneratedAccuracy,
    [number, number]
  >;
  const score = (name: keyof GeneratedAccuracy, ok: boolean) => {
    counts[name][0] += ok ? 1 : 0;
    counts[name][1] += 1;
  };
  for (const entry of manifest) {
    if (entry.damaged) continue;
    const text = await textOf(join(corpus, entry.file));
    if (text === undefined) continue;
    const reading = readByRules(text);
    if (entry.scanned) {
      score('scannedHonest', reading.label === 'other' && reading.confidence === 0);
      continue;
    }
    score('label', reading.label === entry.class);
    if (entry.class === 'vendor_invoice') {
      score('invoiceNumber', reading.fields.invoice_number === entry.fields.invoice_number);
      score('invoiceDate', reading.fields.invoice_date === entry.fields.invoice_date);
      score('total', reading.fields.total === entry.fields.total);
      score('vendorName', reading.fields.vendor_name === entry.fields.vendor_name);
    }
  }
  const rate = ([correct, total]: [number, number]): Rate => ({ correct, total });
  return {
    label: rate(counts.label),
    scannedHonest: rate(counts.scannedHonest),
    invoiceNumber: rate(counts.invoiceNumber),
    invoiceDate: rate(counts.invoiceDate),
    total: rate(counts.total),
    vendorName: rate(counts.vendorName),
  };
}

export function percent(rate: Rate): string {
  return rate.total === 0 ? 'n/a' : `${((100 * rate.correct) / rate.total).toFixed(0)}% (${rate.correct}/${rate.total})`;
}
