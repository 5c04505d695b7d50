/**
 * `npm run bench`: every figure measured in this run, as a ratio to a baseline from the same run.
 * Writes bench/results/<timestamp>.json and prints a Markdown table for the README.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { generateCorpus } from '../scripts/corpus/generate.ts';
import { emulatorThroughput } from './emulator-throughput.ts';
import { prepareScaling } from './prepare-scaling.ts';

const quick = process.argv.includes('--quick');
const corpus = mkdtempSync(join(tmpdir(), 'docpool-bench-'));
try {
  const files = quick ? 300 : 1000;
  const summary = await generateCorpus({ dir: corpus, count: files, seed: 1, maxPages: 60 });
  process.stderr.write(`corpus: ${summary.files} files, ${summary.pages} pages (generated in ${(summary.ms / 1000).toFixed(1)} s)\n`);
  const scaling = await prepareScaling(corpus);
  const throughput = await emulatorThroughput(quick ? 2 : 5);
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}`;
  const date = new Date().toISOString();
  const table = [
    `CPU prepare scaling — ${files} generated files, first 5 pages each (${date.slice(0, 10)}, ${machine})`,
    '',
    '| setup | pages/s | × single thread | goal |',
    '|---|---:|---:|---|',
    ...scaling.map((row) => `| ${row.setup} | ${row.pagesPerSecond} | ${row.ratioToSingleThread.toFixed(2)} | ${row.goal} |`),
    '',
    '| emulator, small requests, zero latency, 64 connections | requests/s | failed | goal |',
    '|---|---:|---:|---|',
    `| generateContent on loopback (load from a second process) | ${throughput.requestsPerSecond} | ${throughput.failed} | >= 2000 |`,
  ].join('\n');
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL(`./results/${date.replace(/[:.]/g, '-')}.json`, import.meta.url), `${JSON.stringify({ date, machine, files, scaling, emulatorThroughput: throughput }, null, 2)}\n`);
  process.stdout.write(`${table}\n`);
} finally {
  rmSync(corpus, { recursive: true, force: true });
}
