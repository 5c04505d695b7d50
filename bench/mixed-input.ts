/**
 * A mixed folder against the same documents as PDFs: 2,000 generated documents, once all PDFs and
 * once with two in five written as photos, PNGs and TIFF scans and three in ten delivered in
 * .eml and .msg mails and ZIP exports (same seed: the same documents). Each run on a fresh state
 * folder through the emulator; peak RSS and time are docpool's own summary, requests the
 * emulator's count.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { generateCorpus } from '../src/corpus/generate.ts';
import { startEmulator } from '../src/emulator/server.ts';
import { answeredRight, round, runGenerated, scratch, summaryOf } from './harness.ts';

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

export async function mixedInput(documents: number): Promise<MixedInputRow[]> {
  const emulator = await startEmulator({ defaultLatency: { medianMs: 200, sigma: 0.3 }, latency: {} });
  const rows: MixedInputRow[] = [];
  try {
    for (const folder of ['all PDF', 'mixed'] as const) {
      const work = scratch(`mixed-${folder === 'mixed' ? 'mixed' : 'pdf'}`);
      try {
        const corpus = join(work, 'corpus');
        const rates = folder === 'mixed' ? { imageRate: 0.4, containerRate: 0.3 } : {};
        await generateCorpus({ dir: corpus, count: documents, seed: 30, maxPages: 3, damagedRate: 0, ...rates });
        const before = emulator.stats().requests.total;
        const { found, run } = await runGenerated(corpus, work, emulator.url);
        const summary = summaryOf(run);
        rows.push({
          folder,
          documents: found.length,
          files: new Set(found.map(({ entry }) => entry.file)).size,
          images: found.filter(({ entry }) => entry.image).length,
          inContainers: found.filter(({ entry }) => entry.part).length,
          requests: emulator.stats().requests.total - before,
          runSeconds: round(summary.seconds, 1),
          peakRssMb: summary.peakRssMb,
          right: found.filter(answeredRight).length,
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
