/**
 * A mixed folder against the same documents as PDFs: 2,000 generated documents, once all PDFs and
 * once with two in five written as photos, PNGs and TIFF scans and three in ten delivered in
 * .eml and .msg mails and ZIP exports (same seed: the same documents). Each run on a fresh state
 * folder through the emulator; peak RSS and time are docpool's own summary, requests the
 * emulator's count.
 */
import { generateCorpus } from '../src/corpus/generate.ts';
import { answeredRight, compareGenerated, round, summaryOf } from './harness.ts';

export interface MixedInputRow {
  readonly folder: 'all PDF' | 'mixed';
  readonly documents: number;
  readonly files: number;
  readonly images: number;
  readonly inContainers: number;
  readonly requests: number;
  readonly runSeconds: number;
  readonly peakRssMb: number;
  /** Documents whose class and fields equal their ground truth. */
  readonly right: number;
}

export function mixedInput(documents: number): Promise<MixedInputRow[]> {
  return compareGenerated(
    ['all PDF', 'mixed'] as const,
    (folder, dir) =>
      generateCorpus({ dir, count: documents, seed: 30, maxPages: 3, damagedRate: 0, ...(folder === 'mixed' ? { imageRate: 0.4, containerRate: 0.3 } : {}) }),
    (folder, { found, run, requests }) => {
      const summary = summaryOf(run);
      return {
        folder,
        documents: found.length,
        files: new Set(found.map(({ entry }) => entry.file)).size,
        images: found.filter(({ entry }) => entry.image).length,
        inContainers: found.filter(({ entry }) => entry.part).length,
        requests,
        runSeconds: round(summary.seconds, 1),
        peakRssMb: summary.peakRssMb,
        right: found.filter(answeredRight).length,
      };
    },
  );
}
