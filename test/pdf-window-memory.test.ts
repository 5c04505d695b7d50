import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateCorpus } from '../src/corpus/generate.ts';
import { readPdfWindow } from '../src/workers/pdf-window.ts';
import { tempDir } from './helpers/temp.ts';

// The chaos soak found a worker's WASM heap growing ~180 KB per subset built (MuPDF handles left
// to finalizers): 100,000 files would have needed 18 GB. This holds the line in every test run.
test('building thousands of subsets does not grow memory: every MuPDF handle is freed', async () => {
  const dir = tempDir('window-memory');
  await generateCorpus({ dir, count: 20, seed: 3, maxPages: 3, damagedRate: 0 });
  const originals = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.pdf'))
    .map((name) => readFileSync(join(dir, name)));
  const prepareDistinct = (from: number, count: number) => {
    for (let index = from; index < from + count; index++) {
      const outcome = readPdfWindow(Buffer.concat([originals[index % originals.length]!, Buffer.from(`\n%${index}\n`)]), { pageWindow: 5, buildSubset: true });
      assert.ok(outcome.ok && outcome.window.subset.length > 0);
    }
  };
  prepareDistinct(0, 300); // warm-up: the WASM heap reaches its working size
  const before = process.memoryUsage().rss;
  prepareDistinct(300, 1500);
  const grownMb = (process.memoryUsage().rss - before) / 1e6;
  assert.ok(grownMb < 60, `memory grew ${grownMb.toFixed(0)} MB over 1,500 subsets (a leak grows ~270 MB)`);
});
