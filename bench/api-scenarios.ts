/**
 * The scenarios measured against the emulator: quota utilisation (known and
 * unknown quota), latency-bound throughput, and kill-and-resume. Every figure is computed from the
 * emulator's own stats or docpool's own summary in this run.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifest } from '../src/corpus/generate.ts';
import { startEmulator } from '../src/emulator/server.ts';
import { FINANCE_PROFILE } from '../src/main/profiles/finance.ts';
import { docpool, finished, round, scratch, summaryOf, UNLIMITED } from './harness.ts';

const QUOTA_SETUPS = [
  {
    name: 'quota known to docpool',
    flags: (rpm: number) => ['--rpm', `gemini-3.5-flash-lite=${rpm}`, '--concurrency', `gemini-3.5-flash-lite=${rpm}`],
    goal: '>= 0.95, <= 1% 429s',
  },
  {
    name: 'quota opened wide (a made-up limit; 429s and AIMD only)',
    flags: (rpm: number) => [...UNLIMITED, '--concurrency', `gemini-3.5-flash-lite=${rpm}`],
    goal: 'for comparison',
  },
  { name: 'quota unpublished: learned from the first 429', flags: () => [], goal: '>= 0.9, <= 2% 429s' },
] as const;

export interface QuotaRow {
  readonly setup: string;
  readonly rpm: number;
  readonly acceptedPerWindow: number;
  readonly utilisation: number;
  readonly rateLimitedShare: number;
  readonly goal: string;
}

/** A classification-only profile: one request per file, so requests per window are what is measured. */
function classifyOnlyProfile(dir: string): string {
  const path = join(dir, 'classify-only.json');
  // The classes and their question alone: no extraction, so nothing that names extracted fields (e-invoice mapping, checks, duplicates).
  const { version, classes, classifyPrompt } = FINANCE_PROFILE;
  writeFileSync(path, JSON.stringify({ name: 'bench-classify-only', version, classes, classifyPrompt, extract: {} }));
  return path;
}

/**
 * With an RPM quota on the classification model: accepted requests per window over the steady
 * windows (first and last left out) ÷ RPM: with the quota given to docpool; with a made-up limit
 * far above it (429s and AIMD alone, as docpool ran before it read quotaValue); and with docpool
 * told nothing, as for a model whose paid-tier limit Google does not publish (3.5 Flash-Lite at
 * tier 1): it must learn the limit from Google's first 429.
 */
export async function quotaUtilisation(corpus: string, rpm: number): Promise<QuotaRow[]> {
  const rows: QuotaRow[] = [];
  // A three-second window: short enough for a bench, long enough that docpool's fixed 100 ms
  // release margin (which guards against arrival skew) costs ~3%, not the 10% of a 1 s window.
  const windowMs = 3000;
  const timeScale = windowMs / 60_000;
  const work = scratch('quota');
  const profile = classifyOnlyProfile(work);
  try {
    for (const setup of QUOTA_SETUPS) {
      const emulator = await startEmulator({
        timeScale,
        quota: { 'gemini-3.5-flash-lite': { rpm } },
        latency: { 'gemini-3.5-flash-lite': { medianMs: 1800, sigma: 0.45 } },
      });
      try {
        const limits = setup.flags(rpm);
        finished(
          await docpool([
            'run',
            corpus,
            '-o',
            join(work, `q-${setup.name}.jsonl`),
            '--db',
            join(work, `q-${setup.name}`),
            '--profile',
            profile,
            '--base-url',
            emulator.url,
            '--quota-window-ms',
            String(windowMs),
            '--no-tui',
            ...limits,
          ]),
        );
        const stats = emulator.stats();
        const windows = (stats.acceptedPerWindow['gemini-3.5-flash-lite'] ?? []).slice(1, -1);
        const steady = windows.length > 0 ? windows.reduce((sum, count) => sum + count, 0) / windows.length : 0;
        const total = Object.values(stats.requests.byStatus).reduce((sum, count) => sum + count, 0);
        rows.push({
          setup: setup.name,
          rpm,
          acceptedPerWindow: round(steady, 1),
          utilisation: round(steady / rpm),
          rateLimitedShare: round((stats.requests.byStatus['429'] ?? 0) / Math.max(1, total), 3),
          goal: setup.goal,
        });
      } finally {
        await emulator.close();
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return rows;
}

export interface LatencyRow {
  readonly concurrency: number;
  readonly latencyMs: number;
  readonly filesPerSecond: number;
  readonly ratio: number;
}

/** Quota out of the way, concurrency C, fixed latency L: achieved files/s ÷ (C / L). */
export async function latencyBound(corpus: string, concurrency: number, latencyMs: number): Promise<LatencyRow> {
  const work = scratch('latency');
  const emulator = await startEmulator({ latency: { 'gemini-3.5-flash-lite': { medianMs: latencyMs, sigma: 0, perKiloTokenMs: 0 } } });
  try {
    const run = finished(
      await docpool([
        'run',
        corpus,
        '-o',
        join(work, 'out.jsonl'),
        '--db',
        join(work, 'db'),
        '--profile',
        classifyOnlyProfile(work),
        '--base-url',
        emulator.url,
        '--concurrency',
        `gemini-3.5-flash-lite=${concurrency}`,
        '--no-tui',
        ...UNLIMITED,
      ]),
    );
    const files = summaryOf(run);
    const ideal = concurrency / (latencyMs / 1000);
    return { concurrency, latencyMs, filesPerSecond: round(files.filesPerSecond, 1), ratio: round(files.filesPerSecond / ideal) };
  } finally {
    await emulator.close();
    rmSync(work, { recursive: true, force: true });
  }
}

export interface KillRow {
  readonly window: number;
  readonly callsNeeded: number;
  readonly callsMade: number;
  readonly repeatedPerWindow: number;
}

/** SIGKILL mid-run, then re-run: API calls repeated ÷ the in-flight window. */
export async function killAndResume(corpus: string, window: number): Promise<KillRow> {
  const work = scratch('kill');
  const emulator = await startEmulator({
    timeScale: 0.05,
    latency: { 'gemini-3.5-flash-lite': { medianMs: 2000, sigma: 0.3 }, 'gemini-3.8-flash': { medianMs: 4000, sigma: 0.3 } },
  });
  try {
    const args = [
      'run',
      corpus,
      '-o',
      join(work, 'out.jsonl'),
      '--db',
      join(work, 'db'),
      '--base-url',
      emulator.url,
      '--window',
      String(window),
      '--no-tui',
      ...UNLIMITED,
    ];
    await docpool(args, undefined, { killAfterMs: 3000 });
    await docpool(args);
    const manifest = parseManifest(readFileSync(join(corpus, 'manifest.jsonl'), 'utf8')).filter((entry) => entry.damaged === null);
    // A scan of more than 3 pages has no page counter to read: it is shown once to the model to split (--split auto).
    const splits = manifest.filter((entry) => entry.scanned && entry.pages > 3).length;
    const needed = manifest.length + manifest.filter((entry) => entry.class in FINANCE_PROFILE.extract).length + splits;
    const made = emulator.stats().requests.total;
    return { window, callsNeeded: needed, callsMade: made, repeatedPerWindow: round((made - needed) / window) };
  } finally {
    await emulator.close();
    rmSync(work, { recursive: true, force: true });
  }
}
