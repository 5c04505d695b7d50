import { setMaxListeners } from 'node:events';
import { resolve } from 'node:path';
import { type Config, admissionWindow, limitsFor } from '../config.ts';
import { EXIT, UsageError } from '../errors.ts';
import { GeminiProvider } from '../providers/gemini/gemini-provider.ts';
import { OfflineProvider } from '../providers/offline-provider.ts';
import { runPipeline } from '../pipeline/pipeline.ts';
import { PreparePool } from '../pipeline/prepare-pool.ts';
import { loadProfile, type Profile } from '../profiles/profile.ts';
import { resumeBanner, resumeState, runIdentity } from '../pipeline/run-identity.ts';
import { RunStats } from '../progress/run-stats.ts';
import { AdmissionControl } from '../intake/admission-control.ts';
import { DashboardFeed } from '../progress/dashboard-feed.ts';
import type { LiveDashboard } from '../../tui/live-dashboard.tsx';
import { sinkFor } from '../output/open-sink.ts';
import type { Provider } from '../providers/provider.ts';
import { Store } from '../state/store.ts';
import { PDF_TOKENS_PER_PAGE } from '../../workers/protocol.ts';
import { CLASSIFY_OUTPUT_TOKENS, CLASSIFY_PROMPT_TOKENS, EXTRACT_OUTPUT_TOKENS, EXTRACT_PROMPT_TOKENS, EXTRACT_THINKING_TOKENS } from './estimate.ts';
import { priceTokens } from '../models/catalogue.ts';
import { formatProgressLine, formatRunSummary } from '../progress/run-summary.ts';

export interface RunIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stderr: NodeJS.WriteStream;
  /** Draw the dashboard (when stderr is a terminal); else plain progress lines. */
  readonly tui: boolean;
  /** Seconds between plain progress lines. */
  readonly progressEverySeconds: number;
}

/** `docpool run`: the whole job, returning the process exit code. */
export async function runCommand(paths: readonly string[], config: Config, io: RunIo): Promise<number> {
  const profile = loadProfile(config.profile);
  const openSink = sinkFor(config.out, () => profile);
  const hardStop = new AbortController();
  // Every in-flight request listens on this signal; with a wide window that is many listeners by design.
  setMaxListeners(0, hardStop.signal);
  const stats = new RunStats();
  const provider = chooseProvider(config, profile, io, hardStop.signal, () => stats.retried());
  const store = Store.open(resolve(config.db));
  const { id: runId, inputs } = runIdentity(paths, config.include, provider, profile.name);
  const resume = resumeState(store, runId);
  const banner = resumeBanner(runId, resume, config.retryFailed);
  if (banner) io.stderr.write(`${banner}\n`);
  const createdAt = resume.previous?.createdAt ?? Date.now();
  await store.putRun({ id: runId, inputs, createdAt, updatedAt: Date.now(), state: 'running', filesRead: 0, statHits: 0, ...(resume.previous?.discovered === undefined ? {} : { discovered: resume.previous.discovered }) });
  const sink = openSink();
  const pool = new PreparePool({ workers: config.workers, taskTimeoutMs: config.taskTimeoutMs });
  const admission = new AdmissionControl();
  let drainTimer: NodeJS.Timeout | undefined;
  let dashboard: LiveDashboard | undefined;
  const onSignal = () => {
    // Second Ctrl-C: stop now. LMDB commits are atomic, so the state folder stays consistent.
    if (admission.signal.aborted) process.exit(EXIT.interrupted);
    if (!dashboard) io.stderr.write(`\ndocpool: stopping: no new files; finishing the ones in flight (up to ${Math.round(config.drainTimeoutMs / 1000)} s; Ctrl-C again to stop at once)\n`);
    admission.stop();
    // In-flight files get a deadline; after it their requests are cancelled and they are left for the next run.
    drainTimer = setTimeout(() => hardStop.abort(), config.drainTimeoutMs);
    drainTimer.unref();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  const limiters = provider instanceof GeminiProvider ? provider.limiters() : [];
  const feed = new DashboardFeed({
    runId,
    provider: provider.name,
    stats,
    limiters: () => limiters.map((limiter) => limiter.stats()),
    pool: () => pool.stats(),
    paused: () => admission.paused,
    stopping: () => admission.signal.aborted,
  });
  dashboard = io.tui && io.stderr.isTTY
    ? (await loadDashboard()).startDashboard(() => feed.snapshot(), {
        togglePause: () => admission.togglePause(),
        changeConcurrency: (direction) => {
          for (const limiter of limiters) {
            const ceiling = limiter.stats().maxConcurrency;
            limiter.setMaxConcurrency(ceiling + direction * Math.max(1, Math.round(ceiling * 0.1)));
          }
        },
        stop: onSignal,
      }, io.stderr)
    : undefined;
  let peakRss = process.memoryUsage.rss();
  const memory = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 250);
  memory.unref();
  const progress = dashboard ? undefined : setInterval(() => io.stderr.write(`${formatProgressLine(stats.snapshot())}\n`), io.progressEverySeconds * 1000);
  try {
    const end = await runPipeline({
      paths,
      include: config.include,
      pageWindow: config.pages,
      maxFileBytes: config.maxFileMb * 1024 * 1024,
      window: admissionWindow(config),
      profile,
      provider,
      ...(config.fallback === 'offline' && provider.name === 'gemini' ? { fallback: new OfflineProvider(profile, config.pages) } : {}),
      pool,
      store,
      sink,
      stats,
      admission: admission.signal,
      waitWhilePaused: () => admission.waitWhilePaused(),
      runId,
      retryFailed: config.retryFailed,
      ...(config.maxCost === undefined ? {} : { maxCostUsd: config.maxCost, priorCostPerFile: worstCaseCostPerFile(config) }),
    });
    const snapshot = stats.snapshot();
    const state = end.kind === 'complete' ? 'complete' : end.kind === 'aborted' ? 'aborted' : end.code === 'INTERRUPTED' ? 'interrupted' : 'stopped';
    await store.putRun({
      id: runId,
      inputs,
      createdAt,
      updatedAt: Date.now(),
      state,
      filesRead: snapshot.filesRead,
      statHits: snapshot.statHits,
      ...(snapshot.discoveryDone ? { discovered: snapshot.discovered } : resume.previous?.discovered === undefined ? {} : { discovered: resume.previous.discovered }),
    });
    await dashboard?.close();
    io.stderr.write(`${formatRunSummary(snapshot, end, config.out)}\n`);
    io.stderr.write(`  event loop p99 ${feed.eventLoopP99Ms().toFixed(1)} ms, peak RSS ${Math.round(peakRss / 1024 / 1024)} MB over the run (dashboard ${dashboard ? 'on' : 'off'})\n`);
    if (end.kind === 'aborted') return EXIT.aborted;
    if (end.kind === 'admission_stopped') return end.code === 'INTERRUPTED' ? EXIT.interrupted : EXIT.stopped;
    return snapshot.failed > 0 ? EXIT.someFailed : EXIT.ok;
  } finally {
    clearInterval(progress);
    clearInterval(memory);
    clearTimeout(drainTimer);
    feed.close();
    await dashboard?.close();
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await Promise.all([pool.close(), provider.close(), sink.close()]);
    await store.close();
  }
}

function chooseProvider(config: Config, profile: Profile, io: RunIo, stopSignal: AbortSignal, onRetry: () => void): Provider {
  const apiKey = io.env.GEMINI_API_KEY || io.env.GOOGLE_API_KEY;
  const kind = config.provider ?? (apiKey ? 'gemini' : 'offline');
  if (kind === 'offline') {
    if (!config.provider) io.stderr.write('docpool: no GEMINI_API_KEY or GOOGLE_API_KEY set: using the offline rule-based provider (set a key to use Gemini)\n');
    return new OfflineProvider(profile, config.pages);
  }
  if (!apiKey) throw new UsageError('--provider gemini: set GEMINI_API_KEY (or GOOGLE_API_KEY) in the environment; the key is never read from flags or files');
  const baseUrl = config.baseUrl ?? io.env.GOOGLE_GEMINI_BASE_URL;
  return new GeminiProvider({
    apiKey,
    ...(baseUrl ? { baseUrl } : {}),
    profile,
    classifyModel: config.classifyModel,
    extractModel: config.extractModel,
    pageWindow: config.pages,
    inputMode: config.inputMode,
    limits: (model) => {
      const limits = limitsFor(config, model);
      return { rpm: limits.rpm, tpm: limits.tpm, concurrency: limits.concurrency, windowMs: config.quotaWindowMs };
    },
    maxInlineBytes: config.maxInlineMb * 1024 * 1024,
    policy: {
      maxAttempts: config.maxAttempts,
      maxRateLimitedAttempts: 30,
      retryBaseMs: config.retryBaseMs,
      retryCapMs: 60_000,
      requestTimeoutMs: config.requestTimeoutMs,
      stopSignal,
    },
    onRetry,
  });
}

/**
 * Ink and React load only when the dashboard is drawn, and in React's production build unless
 * NODE_ENV says otherwise: the development build doubles each frame's cost (measured 9.6 → 4.9 ms),
 * which the main thread pays between pipeline events.
 */
async function loadDashboard(): Promise<typeof import('../../tui/live-dashboard.tsx')> {
  process.env.NODE_ENV ??= 'production';
  return import('../../tui/live-dashboard.tsx');
}

/** One file classified and extracted with the full page window and thinking budget: the budget's cautious prior. */
function worstCaseCostPerFile(config: Config): number {
  const pdfTokens = config.pages * PDF_TOKENS_PER_PAGE;
  return (
    priceTokens(config.classifyModel, pdfTokens + CLASSIFY_PROMPT_TOKENS, CLASSIFY_OUTPUT_TOKENS) +
    priceTokens(config.extractModel, pdfTokens + EXTRACT_PROMPT_TOKENS, EXTRACT_OUTPUT_TOKENS + EXTRACT_THINKING_TOKENS)
  );
}
