/**
 * Scale soak: 100,000 small, distinct PDFs through the whole pipeline (prepare, classify,
 * extract, commit, sink) against the emulator at zero latency, so docpool itself is the limit.
 * Samples the process's memory and the emulator's answered classifications each second; memory
 * and throughput in the last tenth of the run must match the first.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCorpus } from '../../src/corpus/generate.ts';
import { startEmulator } from '../../src/emulator/server.ts';
import { docpool, scratch, summaryOf, UNLIMITED } from '../harness.ts';
import { Checks, removeScratch, crashSignIn, type ScenarioReport } from './checks.ts';
import { samplePdfs } from './matrix.ts';

interface Sample {
  readonly seconds: number;
  readonly answered: number;
  readonly rssMb: number;
  /** Anonymous memory (heaps, buffers): what a leak grows. RSS also counts LMDB's file-backed pages. */
  readonly anonMb: number;
}

/** Distinct files from a few hundred originals: a comment after %%EOF changes the hash, not the document. */
function writeDistinctFiles(originals: readonly Buffer[], tree: string, count: number): void {
  for (let index = 0; index < count; index++) {
    const folder = join(tree, `f${Math.floor(index / 1000)}`);
    if (index % 1000 === 0) mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `${index}.pdf`), Buffer.concat([originals[index % originals.length]!, Buffer.from(`\n%docpool-soak ${index}\n`)]));
  }
}

function memoryOf(pid: number): { rssMb: number; anonMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, anonMb: kb('RssAnon') / 1024 };
  } catch {
    return undefined; // the process has ended
  }
}

/** Files per second between the moments the run crossed two fractions of the total. */
function rateBetween(samples: readonly Sample[], total: number, from: number, to: number): number {
  const first = samples.find((sample) => sample.answered >= total * from);
  const last = samples.find((sample) => sample.answered >= total * to);
  if (!first || !last || last.seconds <= first.seconds) return NaN;
  return (last.answered - first.answered) / (last.seconds - first.seconds);
}

function meanOf(samples: readonly Sample[], total: number, from: number, to: number, pick: (sample: Sample) => number): number {
  const inside = samples.filter((sample) => sample.answered >= total * from && sample.answered <= total * to);
  return inside.reduce((sum, sample) => sum + pick(sample), 0) / Math.max(1, inside.length);
}

export async function scaleSoak(files: number): Promise<ScenarioReport> {
  const started = performance.now();
  const checks = new Checks('scale soak');
  const work = scratch('soak');
  const source = join(work, 'source');
  await generateCorpus({ dir: source, count: 300, seed: 51, maxPages: 1, damagedRate: 0 });
  const originals = samplePdfs(source).map((path) => readFileSync(path));
  const tree = join(work, 'tree');
  writeDistinctFiles(originals, tree, files);
  const emulator = await startEmulator({ defaultLatency: { medianMs: 0, sigma: 0 }, latency: {} });
  const samples: Sample[] = [];
  let sampler: NodeJS.Timeout | undefined;
  try {
    const out = join(work, 'out.jsonl');
    const runStarted = performance.now();
    const run = await docpool(['run', tree, '-o', out, '--db', join(work, 'db'), '--base-url', emulator.url, '--no-tui', ...UNLIMITED], undefined, {
      killAfterMs: 900_000,
      onSpawn: (child) => {
        sampler = setInterval(() => {
          const memory = memoryOf(child.pid ?? 0);
          const answered = emulator.stats().requests.byModel['gemini-3.5-flash-lite'] ?? 0;
          if (memory) samples.push({ seconds: (performance.now() - runStarted) / 1000, answered, ...memory });
        }, 1000);
      },
    });
    clearInterval(sampler);
    const summary = summaryOf(run);
    const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean).length;
    const firstRate = rateBetween(samples, files, 0.01, 0.11);
    const lastRate = rateBetween(samples, files, 0.89, 0.99);
    const earlyRss = meanOf(samples, files, 0.1, 0.2, (sample) => sample.rssMb);
    const lateRss = meanOf(samples, files, 0.9, 1, (sample) => sample.rssMb);
    const earlyAnon = meanOf(samples, files, 0.1, 0.2, (sample) => sample.anonMb);
    const lateAnon = meanOf(samples, files, 0.9, 1, (sample) => sample.anonMb);
    checks.that(
      'the run finishes with exit 0 and no crash sign',
      run.code === 0 && !crashSignIn(run.stderr),
      `exit ${run.code}${run.signal ? ` (${run.signal})` : ''}: ${run.stderr.slice(-300)}`,
    );
    checks.that('one record per file', lines === files, `${lines} lines for ${files} files`);
    checks.that('throughput flat: last 10% ≥ 0.8 × first 10%', lastRate >= 0.8 * firstRate, `${Math.round(firstRate)} then ${Math.round(lastRate)} files/s`);
    checks.that(
      'heap memory flat: anonymous RSS in the last 10% ≤ 1.2 × at 10–20%',
      lateAnon <= 1.2 * earlyAnon,
      `${Math.round(earlyAnon)} then ${Math.round(lateAnon)} MB`,
    );
    return {
      scenario: 'scale soak',
      rows: [], // scale, not a row of the table
      figures: {
        files,
        'wall s': Math.round(run.wallSeconds),
        'files/s first 10%': Math.round(firstRate),
        'files/s last 10%': Math.round(lastRate),
        'RSS MB at 10–20%': Math.round(earlyRss),
        'RSS MB last 10%': Math.round(lateRss),
        'anonymous MB at 10–20%': Math.round(earlyAnon),
        'anonymous MB last 10%': Math.round(lateAnon),
        'peak RSS MB': summary.peakRssMb,
        'event loop p99 ms': summary.eventLoopP99Ms,
        'files lost': files - lines,
      },
      checks: checks.results,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    clearInterval(sampler);
    await emulator.close();
    removeScratch(work);
  }
}
