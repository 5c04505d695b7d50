/**
 * The race: every way to run a folder, and the scripts docpool replaces, against the same
 * emulator settings in a process of their own: tier-1 quotas (flash 1,000, pro 150 requests per
 * window) and latencies, at 1/6 time scale, so a quota window lasts 10 s (docpool's pacing margin,
 * 2 % of a window, is 200 ms of it). The bench races 4,000 files: 17 windows of the binding Pro
 * quota. A run's fixed costs (the first classification before any extraction, the slowest of the
 * last window's answers: about 7 s together at this scale) are what no client avoids and what the
 * quota limit does not count; over 2,000 files they were 8 % of it. Each row starts a fresh emulator. docpool's run time is its own
 * summary's (process start-up reported apart); the seed designs run in this process.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifest } from '../src/corpus/generate.ts';
import { CATALOGUE } from '../src/emulator/catalogue.ts';
import type { EmulatorStats } from '../src/emulator/stats.ts';
import { type ServiceTier, Pricing } from '../src/main/models/pricing.ts';
import { FINANCE_PROFILE } from '../src/main/profiles/finance.ts';
import { type Design, runDesign } from './baselines/designs.ts';
import { docpool, emulatorProcess, round, scratch, summaryOf } from './harness.ts';

const TIME_SCALE = 1 / 6;
const WINDOW_MS = 60_000 * TIME_SCALE;
/** Flex at the fast end of Google's 1–15 minute target (1 min, 10 s scaled): the bench must end. */
const FLEX_MEDIAN_MS = 60_000;

export interface RaceRow {
  readonly design: string;
  readonly files: number;
  readonly runSeconds: number;
  /** Process start-up, kept out of the run time (docpool rows; the seed designs run warm). */
  readonly startupSeconds: number | null;
  readonly filesPerSecond: number;
  readonly requestsSent: number;
  readonly answered: number;
  readonly refused: number;
  readonly refusedShare: number;
  readonly costUsd: number;
  /** Fastest finish the quota allows for this design's calls, s (see `quotaLimit`). */
  readonly quotaLimitSeconds: number;
  /** files/s ÷ (files ÷ quota limit): 1 is the quota's own speed. */
  readonly ofQuotaLimit: number;
  /** The binding model's accepted requests per full window of the run ÷ its RPM: how busy the quota was kept. */
  readonly quotaBusy: number;
  /** docpool's peak RSS over the run, MB (its summary); null for the seed designs. */
  readonly peakRssMb: number | null;
  /** For a design measured over its first `designCapMs` only. */
  readonly capped: boolean;
}

/** `designCapMs`: a seed design that would take much longer is measured over its first this-long. */
export async function race(corpus: string, designCapMs: number): Promise<RaceRow[]> {
  const manifest = parseManifest(readFileSync(join(corpus, 'manifest.jsonl'), 'utf8'));
  const files = manifest.map((entry) => join(corpus, entry.file));
  const intact = manifest.filter((entry) => entry.damaged === null);
  const extracted = intact.filter((entry) => FINANCE_PROFILE.extract[entry.class]).length;
  const needs = {
    twoPass: { 'gemini-3.5-flash-lite': intact.length, 'gemini-3.8-flash': extracted },
    onePass: { 'gemini-3.5-flash-lite': intact.length },
  };
  const work = scratch('race');
  const config = join(work, 'emulator.json');
  writeFileSync(config, JSON.stringify({ quota: '1', flex: { medianMs: FLEX_MEDIAN_MS, sigma: 0.5, capacity: 5000 } }));
  const rows: RaceRow[] = [];
  try {
    const docpoolRows: Array<[string, string[], Record<string, number>, ServiceTier]> = [
      ['docpool two-pass', [], needs.twoPass, 'standard'],
      ['docpool one-pass', ['--passes', '1'], needs.onePass, 'standard'],
      ['docpool one-pass flex', ['--passes', '1', '--service-tier', 'flex'], needs.onePass, 'flex'],
    ];
    for (const [design, flags, needed, tier] of docpoolRows) {
      const emulator = await emulatorProcess(['--config', config, '--time-scale', String(TIME_SCALE)]);
      try {
        const db = join(work, 'db');
        const run = await docpool([
          'run',
          corpus,
          '-o',
          join(work, 'out.jsonl'),
          '--db',
          db,
          '--base-url',
          emulator.url,
          '--quota-window-ms',
          String(WINDOW_MS),
          '--no-tui',
          ...flags,
        ]);
        rmSync(db, { recursive: true, force: true });
        const summary = summaryOf(run);
        if (summary.files !== files.length)
          throw new Error(`race: ${design} finished ${summary.files} of ${files.length} files (exit ${run.code})\n${run.stderr.slice(-2000)}`);
        rows.push({
          ...row(design, files.length, summary.seconds, run.wallSeconds - summary.seconds, await emulator.stats(), needed, tier, false),
          peakRssMb: summary.peakRssMb,
        });
      } finally {
        emulator.stop();
      }
    }
    for (const design of ['sequential', 'batches of 10', 'semaphore of 25'] as Design[]) {
      const emulator = await emulatorProcess(['--config', config, '--time-scale', String(TIME_SCALE)]);
      try {
        const started = performance.now();
        // The old scripts slept a fixed 5 s after a refusal (scaled like the emulator).
        const counters = await runDesign(design, files, emulator.url, 5000 * TIME_SCALE, started + designCapMs);
        const seconds = (performance.now() - started) / 1000;
        rows.push(row(design, counters.files, seconds, null, await emulator.stats(), needs.twoPass, 'standard', counters.files < files.length));
      } finally {
        emulator.stop();
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return rows;
}

function row(
  design: string,
  files: number,
  runSeconds: number,
  startupSeconds: number | null,
  stats: EmulatorStats,
  needed: Record<string, number>,
  tier: ServiceTier,
  capped: boolean,
): RaceRow {
  const { seconds: limit, binding } = quotaLimit(needed, stats);
  const answered = stats.requests.byStatus['200'] ?? 0;
  const refused = stats.requests.byStatus['429'] ?? 0;
  const filesPerSecond = files / runSeconds;
  return {
    design,
    files,
    runSeconds: round(runSeconds, 1),
    startupSeconds: startupSeconds === null ? null : round(startupSeconds, 1),
    filesPerSecond: round(filesPerSecond, 1),
    requestsSent: stats.requests.total,
    answered,
    refused,
    refusedShare: round(refused / Math.max(1, stats.requests.total), 3),
    costUsd: round(billed(stats, tier), 3),
    quotaLimitSeconds: round(limit, 1),
    // A capped design is compared at its own pace over what it finished.
    ofQuotaLimit: round(filesPerSecond / (intactFiles(needed) / limit), 2),
    quotaBusy: round(quotaBusy(binding, stats), 2),
    peakRssMb: null,
    capped,
  };
}

/**
 * The quota limit: the fastest any client could finish these calls, whatever it does. Each model
 * allows `rpm` requests and `tpm` input tokens per window; a model needs
 * max(requests ÷ rpm, input tokens ÷ tpm) windows; the run needs the slowest model's:
 *   limit = window × max over models of max(requests_m ÷ rpm_m, tokens_m ÷ tpm_m)
 * Requests are what the design must make (one per intact file on flash, plus one per extract-class
 * file on pro for two passes); tokens are what the emulator counted for them.
 */
function quotaLimit(needed: Record<string, number>, stats: EmulatorStats): { seconds: number; binding: string } {
  let windows = 0;
  let binding = '';
  for (const [model, requests] of Object.entries(needed)) {
    const limits = CATALOGUE[model]!.limits['1'];
    const used = Object.values(stats.byModelTier[model] ?? {}).reduce(
      (sum, usage) => ({ requests: sum.requests + usage.requests, input: sum.input + usage.input }),
      { requests: 0, input: 0 },
    );
    const tokensNeeded = used.requests === 0 ? 0 : (used.input / used.requests) * requests;
    const modelWindows = Math.max(requests / limits.rpm!, tokensNeeded / limits.tpm!);
    if (modelWindows > windows) [windows, binding] = [modelWindows, model];
  }
  return { seconds: (windows * WINDOW_MS) / 1000, binding };
}

/**
 * Accepted requests per window of the binding model ÷ its RPM, over the run's full windows: windows
 * counted from the run's first accepted request (the emulator's own start to that request is the
 * run's process start-up, reported apart), the last, partial one left out.
 */
function quotaBusy(model: string, stats: EmulatorStats): number {
  const ticks = stats.acceptedPerTick[model] ?? [];
  const first = ticks.findIndex((accepted) => accepted > 0);
  if (first < 0) return 0;
  const perWindow = Math.round(stats.windowMs / stats.tickMs);
  const windows: number[] = [];
  for (let start = first; start + perWindow < ticks.length; start += perWindow)
    windows.push(ticks.slice(start, start + perWindow).reduce((sum, accepted) => sum + accepted, 0));
  // A run shorter than one window: its rate over what it had.
  if (windows.length === 0) windows.push((ticks.slice(first).reduce((sum, accepted) => sum + accepted, 0) * perWindow) / (ticks.length - first));
  return windows.reduce((sum, accepted) => sum + accepted, 0) / windows.length / CATALOGUE[model]!.limits['1'].rpm!;
}

/** What the emulator's answered tokens cost at the tier each was served at. */
function billed(stats: EmulatorStats, tier: ServiceTier): number {
  const pricing = new Pricing({}, tier);
  return Object.entries(stats.byModelTier).reduce(
    (sum, [model, tiers]) => sum + Object.values(tiers).reduce((inner, usage) => inner + pricing.cost(model, usage.input, usage.output + usage.thinking), 0),
    0,
  );
}

/** Files the design had to answer: the flash requests are one per intact file. */
const intactFiles = (needed: Record<string, number>) => needed['gemini-3.5-flash-lite'] ?? 0;
