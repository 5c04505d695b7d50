import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateCorpus } from '../../corpus/generate.ts';
import { startEmulator } from '../../emulator/server.ts';
import { loadConfig } from '../config/schema.ts';
import { EXIT } from '../errors.ts';
import { writeReport } from './report.ts';
import { runCommand } from './run.ts';

/** Where the demo keeps its sample corpus (kept between runs) and its state (fresh each time). */
export const DEMO_DIR = '.docpool-demo';
const DEMO_SEED = 2026;
export interface DemoOptions {
  readonly tui: boolean;
  /** Files in the sample corpus. Default 300. */
  readonly files?: number;
  /**
   * Emulator time scale. Default 0.25: tier-1 latency and quota four times faster, 150 Pro
   * requests per 15 s window instead of per minute, so the ~190 extractions of the default corpus
   * are quota-bound for real yet finish in about a minute.
   */
  readonly timeScale?: number;
}
/** The local emulator takes any key; this one is never a real key, and the user's is never sent to it. */
const DEMO_KEY = 'demo-key-for-the-local-emulator';

/**
 * `docpool demo` / `npm start`: a sample corpus, the Gemini emulator in-process with realistic
 * tier-1 behaviour, a full run with the dashboard, then the same run again to show the cache.
 * No API key, no network.
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const files = options.files ?? 300;
  const timeScale = options.timeScale ?? 0.25;
  const corpus = resolve(DEMO_DIR, 'corpus');
  if (corpusSize(corpus) !== files) {
    rmSync(corpus, { recursive: true, force: true });
    process.stderr.write(`generating a sample corpus of ${files} PDFs in ${corpus} …\n`);
    const summary = await generateCorpus({ dir: corpus, count: files, seed: DEMO_SEED, maxPages: 60 });
    process.stderr.write(`  ${summary.files} files, ${summary.pages} pages, ${summary.damaged} damaged, in ${(summary.ms / 1000).toFixed(1)} s\n`);
  } else {
    process.stderr.write(`using the sample corpus in ${corpus} (delete ${DEMO_DIR} to regenerate)\n`);
  }
  const state = resolve(DEMO_DIR, 'state');
  rmSync(state, { recursive: true, force: true }); // the first pass should do the work; the second shows the cache

  const emulator = await startEmulator({ timeScale: timeScale, quota: '1' });
  try {
    const config = loadConfig({
      db: state,
      out: resolve(DEMO_DIR, 'results.jsonl'),
      baseUrl: emulator.url,
      provider: 'gemini',
      quotaWindowMs: Math.round(60_000 * timeScale),
    });
    const io = { env: { GEMINI_API_KEY: DEMO_KEY }, stderr: process.stderr, tui: options.tui, progressEverySeconds: 3 };
    process.stderr.write(`\nfirst pass: the local Gemini emulator (${emulator.url}) with tier-1 latency and quota, ${1 / timeScale}× faster\n`);
    const first = await runCommand([corpus], config, io);
    if (first === EXIT.interrupted || first === EXIT.aborted) return first;

    const before = emulator.stats().requests.total;
    process.stderr.write('\nsecond pass: the same command again — answers come from the LMDB cache\n');
    const second = await runCommand([corpus], config, io);
    const calls = emulator.stats().requests.total - before;
    await writeReport({ db: state, out: resolve(DEMO_DIR, 'report.html') });
    process.stderr.write(
      [
        '',
        `the second pass made ${calls} API calls.`,
        `results: ${join(DEMO_DIR, 'results.jsonl')} (ground truth: ${join(DEMO_DIR, 'corpus', 'manifest.jsonl')})`,
        `report:  ${join(DEMO_DIR, 'report.html')} (open it in a browser; \`docpool report\` makes one for any run)`,
        'on your own files, with your key:',
        '  export GEMINI_API_KEY=...',
        '  docpool estimate ./invoices                # what it will cost, no API call',
        '  docpool run ./invoices -o results.jsonl',
        '  (from a checkout of docpool: npm run docpool -- run ./invoices …)',
        '',
      ].join('\n'),
    );
    return second === EXIT.someFailed ? EXIT.ok : second; // the sample corpus has damaged files on purpose
  } finally {
    await emulator.close();
  }
}

/** Files listed in a generated corpus's manifest, or undefined when there is none. */
function corpusSize(dir: string): number | undefined {
  const manifest = join(dir, 'manifest.jsonl');
  if (!existsSync(manifest)) return undefined;
  return readFileSync(manifest, 'utf8')
    .split('\n')
    .filter((line) => line.trim()).length;
}
