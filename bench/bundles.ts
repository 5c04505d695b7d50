/**
 * Bundles against the same documents filed apart: 2,000 generated documents, once each in its own
 * file, once with three in five receipts, invoices and expense reports gathered into bundles
 * (4–8 receipts, 3–5 invoices, an expense report and its receipts; three in ten scanned). Same
 * seed: the same documents. Each run on a fresh state folder through the emulator.
 */
import { generateCorpus } from '../src/corpus/generate.ts';
import { answeredRight, compareGenerated, round, summaryOf } from './harness.ts';

export interface BundlesRow {
  readonly folder: 'apart' | 'bundled';
  readonly documents: number;
  readonly files: number;
  /** Documents that arrived in a bundle, and those whose pages docpool found exactly. */
  readonly bundled: number;
  readonly rangesExact: number;
  readonly requests: number;
  readonly runSeconds: number;
  readonly peakRssMb: number;
  /** Documents whose class and fields equal their ground truth. */
  readonly right: number;
}

export function bundles(documents: number): Promise<BundlesRow[]> {
  return compareGenerated(
    ['apart', 'bundled'] as const,
    (folder, dir) => generateCorpus({ dir, count: documents, seed: 31, maxPages: 3, damagedRate: 0, ...(folder === 'bundled' ? { bundleRate: 0.6 } : {}) }),
    (folder, { found, run, requests }) => {
      const summary = summaryOf(run);
      return {
        folder,
        documents: found.length,
        files: new Set(found.map(({ entry }) => entry.file)).size,
        bundled: found.filter(({ entry }) => entry.part).length,
        rangesExact: found.filter(({ entry, record }) => entry.part && record).length,
        requests,
        runSeconds: round(summary.seconds, 1),
        peakRssMb: summary.peakRssMb,
        right: found.filter(answeredRight).length,
      };
    },
  );
}
