/**
 * The e-invoice path: one generated European folder (English, German and French documents; a share
 * of the invoices Factur-X), run with the e-invoice path (`--e-invoice prefer`, the default) and
 * without it (`ignore`), each on a fresh state folder against the same emulator. Requests are the
 * emulator's own count; cost and time are docpool's summary.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startEmulator } from '../src/emulator/server.ts';
import { parseManifest } from '../src/corpus/generate.ts';
import { docpool, finished, KEY_ENV, round, scratch, summaryOf, UNLIMITED } from './harness.ts';

export interface EInvoicePathRow {
  readonly eInvoice: 'prefer' | 'ignore';
  readonly files: number;
  readonly eInvoices: number;
  readonly requests: number;
  readonly costUsd: number;
  readonly runSeconds: number;
  /** Of the e-invoices: the share whose fields equal their ground truth. */
  readonly eInvoiceFieldsExact: number;
}

export async function eInvoicePath(corpus: string): Promise<EInvoicePathRow[]> {
  const manifest = parseManifest(readFileSync(join(corpus, 'manifest.jsonl'), 'utf8'));
  const eInvoices = manifest.filter((entry) => entry.eInvoice);
  // Answers take ~0.5 s, as a light request to Flash-Lite does; quotas out of the way.
  const emulator = await startEmulator({ defaultLatency: { medianMs: 500, sigma: 0.3 }, latency: {} });
  const rows: EInvoicePathRow[] = [];
  try {
    for (const mode of ['ignore', 'prefer'] as const) {
      const work = scratch(`einvoice-${mode}`);
      try {
        const out = join(work, 'out.jsonl');
        const args = ['run', corpus, '-o', out, '--db', join(work, 'db'), '--base-url', emulator.url, '--no-tui', '--e-invoice', mode, ...UNLIMITED];
        const before = emulator.stats().requests.total;
        const run = finished(await docpool(args, KEY_ENV));
        const records = readFileSync(out, 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as { path: string; fields: unknown });
        const byPath = new Map(records.map((record) => [record.path.slice(corpus.length + 1), record]));
        const exact = eInvoices.filter((entry) => JSON.stringify(byPath.get(entry.file)?.fields) === JSON.stringify(entry.fields)).length;
        rows.push({
          eInvoice: mode,
          files: manifest.length,
          eInvoices: eInvoices.length,
          requests: emulator.stats().requests.total - before,
          costUsd: Number(/spent \$([\d.]+)/.exec(run.stderr)?.[1] ?? 'NaN'),
          runSeconds: round(summaryOf(run).seconds, 1),
          eInvoiceFieldsExact: round(exact / Math.max(1, eInvoices.length), 3),
        });
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }
    return rows;
  } finally {
    await emulator.close();
  }
}
