/** @jsxRuntime automatic */
/** @jsxImportSource react */
// (tsx outside the project folder finds no tsconfig; the pragmas pin the JSX transform either way.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { render } from 'ink-testing-library';
import type { DashboardSnapshot } from '../src/main/progress/dashboard-feed.ts';
import type { ModelLimiterStats } from '../src/main/providers/gemini/model-limiter.ts';
import type { RunSnapshot } from '../src/main/progress/run-stats.ts';
import { Dashboard } from '../src/tui/dashboard.tsx';
import { formatProgressLine } from '../src/main/progress/run-summary.ts';

const model = (overrides: Partial<ModelLimiterStats>): ModelLimiterStats => ({
  model: 'gemini-3.5-flash-lite',
  inFlight: 0,
  concurrency: 32,
  maxConcurrency: 32,
  rpm: 1000,
  tpm: 1_000_000,
  learned: [],
  requestsInWindow: 0,
  tokensInWindow: 0,
  rateLimited: 0,
  sent: 0,
  settled: 0,
  shed: 0,
  retries: 0,
  pausedForMs: 0,
  outage: { held: false, heldForMs: 0, outages: 0, probes: 0 },
  ...overrides,
});

function snapshot(run: Partial<RunSnapshot>, extra: Partial<DashboardSnapshot> = {}): DashboardSnapshot {
  return {
    run: {
      elapsedMs: 0,
      discovered: 0,
      files: run.discovered ?? 0,
      split: { files: 0, documents: 0 },
      discoveryDone: false,
      inPhase: { preparing: 0, classifying: 0, extracting: 0 },
      done: 0,
      cached: 0,
      failed: 0,
      skipped: 0,
      skippedByCode: {},
      finished: 0,
      pages: 0,
      byClass: {},
      bySource: {},
      eInvoiceChecks: { checked: 0, disagreeing: 0, byField: {} },
      review: { flagged: 0, byReason: {}, secondOpinions: 0, keptSecond: 0 },
      failuresByCode: {},
      tokens: { input: 0, output: 0, thinking: 0 },
      costUsd: 0,
      retries: 0,
      spend: [],
      recentErrors: [],
      filesPerSecond: 0,
      filesRead: 0,
      ocrPages: 0,
      statHits: 0,
      resumed: 0,
      recentFilesPerSecond: 0,
      recentPagesPerSecond: 0,
      pagesPerSecond: 0,
      filesPerSecondSeries: new Array(60).fill(0),
      etaSeconds: undefined,
      ...run,
    },
    runId: 'a1b2c3d4e5f6',
    provider: 'gemini',
    paused: false,
    stopping: false,
    models: [model({}), model({ model: 'gemini-3.8-flash', rpm: 150, tpm: 2_000_000, concurrency: 32 })],
    pool: { workers: 2, inPool: 0, completed: 0, timeouts: 0, crashes: 0, utilisation: 0 },
    projectedCostUsd: 0,
    rssBytes: 150 * 1024 * 1024,
    eventLoopP99Ms: 3.2,
    ...extra,
  };
}

const frameOf = (value: DashboardSnapshot, width = 80, height = 24) => {
  const { lastFrame, unmount } = render(<Dashboard snapshot={value} width={width} height={height} />);
  const frame = lastFrame() ?? '';
  unmount();
  return frame;
};

test('a fresh run: running, nothing finished yet, no errors, the keys in the footer', () => {
  const frame = frameOf(snapshot({ discovered: 12 }));
  assert.match(frame, /docpool run a1b2c3d4e5f6 · gemini · running/);
  assert.match(frame, /0\/12\+ files/, 'the total is open while discovery goes on');
  assert.match(frame, /ETA --:--/);
  assert.match(frame, /recent errors\n\s+none/);
  assert.match(frame, /p pause {2}\+ \/ - API concurrency {2}q stop/);
});

test('mid-run with 429s: rates, stage counts, a paused model with its 429s, spend and projection, errors', () => {
  const frame = frameOf(
    snapshot(
      {
        elapsedMs: 95_000,
        discovered: 10_000,
        discoveryDone: true,
        finished: 4_500,
        done: 4_000,
        cached: 400,
        failed: 100,
        inPhase: { preparing: 4, classifying: 20, extracting: 8 },
        recentFilesPerSecond: 48.5,
        filesPerSecond: 47.4,
        etaSeconds: 113,
        byClass: { vendor_invoice: 2100, receipt: 900, other: 400 },
        costUsd: 3.21,
        recentErrors: [
          { path: '/data/invoices/batch-7/scan-0042.pdf', code: 'PDF_ENCRYPTED', message: 'the PDF is encrypted and needs a user password to open' },
        ],
      },
      {
        models: [
          model({
            inFlight: 16,
            concurrency: 16,
            requestsInWindow: 998,
            tokensInWindow: 640_000,
            rateLimited: 37,
            retries: 41,
            pausedForMs: 11_800,
            latencyP50: 1820,
            latencyP95: 5400,
          }),
          model({ model: 'gemini-3.8-flash', rpm: 150, tpm: 2_000_000, inFlight: 30, requestsInWindow: 149, latencyP50: 9100, latencyP95: 21000 }),
        ],
        projectedCostUsd: 7.13,
      },
    ),
  );
  assert.match(frame, /45% 4,500\/10,000 files/);
  assert.match(frame, /ETA 1:53/);
  assert.match(frame, /files\/s 48\.5 now, 47\.4 avg/);
  assert.match(frame, /classify 20 · extract 8 · done 4,000 · cached 400 · failed 100/);
  assert.match(frame, /\n3\.5-flash-lite\s+16\/16\s+998\/1000\s+640k\/1\.0M\s+37\s+41\s+1820\/5400 \|\|12s/);
  assert.match(frame, /\n3\.8-flash\s+30\/32\s+149\/150/);
  assert.match(frame, /spent \$3\.2100 · projected \$7\.13/);
  assert.match(frame, /classes: vendor_invoice 2,100 · receipt 900 · other 400/);
  assert.match(frame, /PDF_ENCRYPTED\s+\/data\/invoices\/batch-7\/scan-0042\.pdf/);
});

test('documents are counted apart from files when mails, archives or bundles hold several', () => {
  const frame = frameOf(snapshot({ discovered: 140, files: 120, discoveryDone: true, finished: 70, split: { files: 8, documents: 36 } }));
  assert.match(frame, /70\/140 documents in 120 files/);
  const line = formatProgressLine(snapshot({ discovered: 140, files: 120, discoveryDone: true, finished: 70 }).run);
  assert.match(line, /70\/140 documents \(/);
});

test('a finished run reads finished at 100%', () => {
  const frame = frameOf(snapshot({ discovered: 300, discoveryDone: true, finished: 300, done: 282, failed: 18, etaSeconds: 0 }));
  assert.match(frame, /· finished ·/);
  assert.match(frame, /100% 300\/300 files/);
});

test('checked answers: the records to review by reason, second opinions asked and kept, and skipped files', () => {
  const review = { flagged: 7, byReason: { sum: 4, duplicate: 2, confidence: 1 }, secondOpinions: 5, keptSecond: 3 };
  const frame = frameOf(snapshot({ discovered: 300, discoveryDone: true, finished: 300, done: 290, failed: 8, skipped: 2, review }), 120, 30);
  assert.match(frame, /failed 8 · skipped 2/);
  assert.match(frame, /review 7 answers to review \(sum 4, duplicate 2, confidence 1\); 5 second opinions asked, 3 kept/);
});

test('it fits an 80x24 terminal and uses more room when there is more', () => {
  const busy = snapshot({
    discovered: 50,
    recentErrors: Array.from({ length: 10 }, (_, index) => ({
      path: `/a/very/long/path/to/some/folder/file-${index}.pdf`,
      code: 'PDF_CORRUPT',
      message: 'MuPDF cannot read the document: '.repeat(4),
    })),
  });
  const small = frameOf(busy, 80, 24).split('\n');
  assert.ok(small.length <= 24, `${small.length} lines`);
  assert.ok(
    small.every((line) => line.length <= 80),
    `widest line ${Math.max(...small.map((line) => line.length))}`,
  );
  const large = frameOf(busy, 160, 40).split('\n');
  assert.ok(Math.max(...large.map((line) => line.length)) > 80, 'a wide terminal gets wider lines');
  const errorLines = (lines: string[]) => lines.filter((line) => line.includes('PDF_CORRUPT')).length;
  assert.ok(errorLines(large) > errorLines(small), 'a tall terminal shows more errors');
});

test('pause and stopping are shown, with the key to resume', () => {
  assert.match(frameOf(snapshot({ discovered: 5 }, { paused: true })), /· paused ·[\s\S]*p resume/);
  assert.match(frameOf(snapshot({ discovered: 5 }, { stopping: true })), /· stopping ·/);
});

test('run --queue: the queue and each worker (files in hand, answered, rate), a silent one marked, and the same in a progress line', () => {
  const now = Date.now();
  const queue = {
    waiting: 1200,
    active: 96,
    delayed: 0,
    stalled: 3,
    workers: [
      { id: 'box-a:4101', inFlight: 64, done: 900, failed: 2, startedAt: now - 30_000, at: now - 500 },
      { id: 'box-b:977', inFlight: 32, done: 450, failed: 0, startedAt: now - 30_000, at: now - 8000 },
    ],
  };
  const frame = frameOf(snapshot({ discovered: 5000 }, { models: [], queue }), 120, 40);
  assert.match(frame, /queue: 2 workers, 1,200 waiting, 96 active, 3 recovered from a lost worker/);
  assert.match(frame, /box-a:4101\s+64 in hand · 900 answered · 30\.5 files\/s · 2 failed\n/);
  assert.match(frame, /box-b:977\s+32 in hand · 450 answered · 20\.5 files\/s · 0 failed · silent/);
  const line = formatProgressLine(snapshot({ discovered: 5000 }).run, [], queue);
  assert.match(line, /; queue: 2 workers, 1,200 waiting, 96 active, 3 recovered from a lost worker$/);
});
