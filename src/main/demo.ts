import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateCorpus } from '../../scripts/corpus/generate.ts';
import { loadConfig } from './config.ts';
import { estimate, formatEstimate } from './estimate.ts';

/** Where the demo keeps its sample corpus between runs. */
export const DEMO_DIR = '.docpool-demo';
const DEMO_FILES = 300;
const DEMO_SEED = 2026;

/**
 * `docpool demo` / `npm start`: make (once) a sample corpus of invoices, receipts, statements and
 * damaged files, then show what docpool sees in it. Needs no API key and no network.
 */
export async function runDemo(): Promise<void> {
  const corpus = resolve(DEMO_DIR, 'corpus');
  if (!existsSync(join(corpus, 'manifest.jsonl'))) {
    process.stderr.write(`generating a sample corpus of ${DEMO_FILES} PDFs in ${corpus} …\n`);
    const summary = await generateCorpus({ dir: corpus, count: DEMO_FILES, seed: DEMO_SEED, maxPages: 60 });
    process.stderr.write(`  ${summary.files} files, ${summary.pages} pages, ${summary.damaged} damaged, in ${(summary.ms / 1000).toFixed(1)} s\n`);
  } else {
    process.stderr.write(`using the sample corpus in ${corpus} (delete ${DEMO_DIR} to regenerate)\n`);
  }
  process.stderr.write(`\n$ docpool estimate ${join(DEMO_DIR, 'corpus')}\n`);
  const report = await estimate([corpus], loadConfig({}));
  process.stdout.write(`${formatEstimate(report)}\n`);
  process.stderr.write(`\nThe ground truth for every file is in ${join(DEMO_DIR, 'corpus', 'manifest.jsonl')}.\n`);
}
