/**
 * CPU prepare scaling (DESIGN §9): window pages/s through the prepare pool with 1..W workers, against a
 * raw single-thread MuPDF loop doing the same reading (read, open, text of the first N pages).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import * as mupdf from 'mupdf';
import { parseManifest } from '../src/corpus/generate.ts';
import { forEachBounded } from '../src/main/intake/bounded.ts';
import { PreparePool } from '../src/main/pipeline/prepare-pool.ts';

export interface ScalingRow {
  readonly setup: string;
  readonly pagesPerSecond: number;
  readonly ratioToSingleThread: number;
  readonly goal: string;
}

const PAGE_WINDOW = 5;

/** The baseline: the simplest loop anyone would write, on the main thread, nothing else running. */
export function rawMupdfLoop(corpus: string): { pages: number; ms: number } {
  mupdf.setLog({ error: () => {}, warning: () => {} });
  const manifest = parseManifest(readFileSync(join(corpus, 'manifest.jsonl'), 'utf8')).filter((entry) => entry.damaged === null);
  const started = performance.now();
  let pages = 0;
  for (const entry of manifest) {
    const doc = mupdf.Document.openDocument(readFileSync(join(corpus, entry.file)), 'application/pdf');
    const count = Math.min(doc.countPages(), PAGE_WINDOW);
    for (let index = 0; index < count; index++) {
      const page = doc.loadPage(index);
      const text = page.toStructuredText('preserve-whitespace');
      text.asText();
      text.destroy();
      page.destroy();
    }
    doc.destroy();
    pages += count;
  }
  return { pages, ms: performance.now() - started };
}

/**
 * Window pages/s through the real pool once its threads are up (start-up — thread spawn, loader,
 * WASM init — is paid once per run and is reported separately), over the same files as the loop.
 */
async function poolPagesPerSecond(corpus: string, workers: number): Promise<{ pagesPerSecond: number; startupMs: number }> {
  const files = parseManifest(readFileSync(join(corpus, 'manifest.jsonl'), 'utf8')).map((entry) => join(corpus, entry.file));
  const task = (path: string) => ({ path, pageWindow: PAGE_WINDOW, maxFileBytes: 1 << 30, buildSubset: false });
  const created = performance.now();
  const pool = new PreparePool({ workers });
  try {
    await Promise.all(Array.from({ length: workers }, () => pool.prepare(task(files[0]!))));
    const started = performance.now();
    let pages = 0;
    await forEachBounded(
      (async function* () {
        yield* files;
      })(),
      workers * 3,
      (path) => pool.prepare(task(path)),
      (result) => {
        if (result.kind === 'prepared') pages += result.windowPages;
      },
    );
    return { pagesPerSecond: pages / ((performance.now() - started) / 1000), startupMs: started - created };
  } finally {
    await pool.close();
  }
}

export async function prepareScaling(corpus: string, maxWorkers = availableParallelism()): Promise<ScalingRow[]> {
  const raw = rawMupdfLoop(corpus);
  const single = raw.pages / (raw.ms / 1000);
  const rows: ScalingRow[] = [{ setup: 'raw MuPDF loop, 1 thread', pagesPerSecond: Math.round(single), ratioToSingleThread: 1, goal: 'baseline' }];
  for (let workers = 1; workers <= maxWorkers; workers++) {
    const measured = await poolPagesPerSecond(corpus, workers);
    rows.push({
      setup: `docpool prepare pool, ${workers} worker${workers > 1 ? 's' : ''} (start-up ${Math.round(measured.startupMs)} ms)`,
      pagesPerSecond: Math.round(measured.pagesPerSecond),
      ratioToSingleThread: Math.round((measured.pagesPerSecond / single) * 100) / 100,
      goal: `>= ${(0.9 * workers).toFixed(1)}`,
    });
  }
  return rows;
}
