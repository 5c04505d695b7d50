/**
 * A mixed folder against the same documents as PDFs: 2,000 generated documents, once all PDFs and
 * once with two in five written as photos, PNGs and TIFF scans and three in ten delivered in
 * .eml and .msg mails and ZIP exports (same seed: the same documents). Each run on a fresh state
 * folder through the emulator; peak RSS and time are docpool's own summary, requests the
 * emulator's count.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { generateCorpus, parseManifest } from '../src/corpus/generate.ts';
import { startEmulator } from '../src/emulator/server.ts';
import { docpool, finished, KEY_ENV, round, scratch, summaryOf, UNLIMITED } from './harness.ts';

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
        const manifest = parseManifest(readFileSync(join(corpus, 'manifest.jsonl'), 'utf8'));
        const out = join(work, 'out.jsonl');
        const before = emulator.stats().requests.total;
        const run = finished(
          await docpool(['run', corpus, '-o', out, '--db', join(work, 'db'), '--base-url', emulator.url, '--no-tui', ...UNLIMITED], KEY_ENV),
        );
        const records = readFileSync(out, 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as { path: string; part?: { name: string }; class: string; fields: unknown });
        const byDocument = new Map(records.map((record) => [`${record.path.slice(corpus.length + 1)}#${record.part?.name ?? ''}`, record]));
        const right = manifest.filter((entry) => {
          const record = byDocument.get(`${entry.file}#${entry.part ?? ''}`);
          return record?.class === entry.class && (record.fields === null || JSON.stringify(record.fields) === JSON.stringify(entry.fields));
        }).length;
        const summary = summaryOf(run);
        rows.push({
          folder,
          documents: manifest.length,
          files: new Set(manifest.map((entry) => entry.file)).size,
          images: manifest.filter((entry) => entry.image).length,
          inContainers: manifest.filter((entry) => entry.part).length,
          requests: emulator.stats().requests.total - before,
          runSeconds: round(summary.seconds, 1),
          peakRssMb: summary.peakRssMb,
          right,
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
