import type { QueueSnapshot } from '../main/queue/queue-coordinator.ts';
import { queueLine, reviewLine } from '../main/progress/run-summary.ts';
import { printable } from '../main/progress/printable.ts';
import chalk, { Chalk, type ChalkInstance } from 'chalk';
import type { DashboardSnapshot } from '../main/progress/dashboard-feed.ts';
import type { ModelLimiterStats } from '../main/providers/gemini/model-limiter.ts';
import { bar, count, duration, megabytes, shortPath, sparkline, truncate } from './format.ts';

export interface FrameOptions {
  /** ANSI colour. Default: what the terminal supports (chalk's detection), and none under NO_COLOR (no-color.org). */
  readonly color?: boolean;
}

/** Recent-error rows at most; the frame's other rows are fixed. */
const MAX_ERROR_ROWS = 10;
/** Below this width the wide panels (model table header, workers, classes) give way. */
const NARROW = 80;

/**
 * The dashboard as plain lines (colour as ANSI), a pure function of one snapshot and the terminal
 * size. Drawn as a single Ink <Text>, so each frame lays out one node, not thirty.
 *
 * Every frame replaces the last cleanly only if the terminal shows each line as exactly one row:
 * so no line reaches the last column (a full-width line makes some terminals scroll), the frame
 * has the same height every time (a frame that grows or shrinks is what leaves stale rows), and
 * that height stays below the terminal's (a frame as tall as the screen makes Ink clear the whole
 * terminal on every frame). Errors fill the rows that are left.
 */
export function dashboardLines(snapshot: DashboardSnapshot, width: number, height: number, options: FrameOptions = {}): string[] {
  const colour = options.color ?? (chalk.level > 0 && !process.env.NO_COLOR);
  const paint: ChalkInstance = colour ? new Chalk({ level: Math.max(1, chalk.level) as 1 | 2 | 3 }) : new Chalk({ level: 0 });
  const usable = Math.max(20, width - 1);
  const narrow = width < NARROW;
  const { run } = snapshot;
  const total = run.discoveryDone ? run.discovered : undefined;
  const fraction = total ? run.finished / total : 0;
  const state = snapshot.stopping ? 'stopping' : snapshot.paused ? 'paused' : run.discoveryDone && run.finished === run.discovered ? 'finished' : 'running';
  const fit = (line: string) => truncate(line, usable);
  const stateText = state === 'running' ? paint.green(state) : paint.yellow(state);
  const classes = Object.entries(run.byClass).sort((a, b) => b[1] - a[1]);
  const title = fit(
    `docpool run ${snapshot.runId} · ${snapshot.provider} · ${state} · elapsed ${duration(run.elapsedMs / 1000)} · ETA ${duration(run.etaSeconds)}`,
  );
  const rates = fit(
    `files/s ${run.recentFilesPerSecond.toFixed(1)} now, ${run.filesPerSecond.toFixed(1)} avg · pages/s ${run.recentPagesPerSecond.toFixed(0)} now, ${run.pagesPerSecond.toFixed(0)} avg · `,
  );
  const sparkWidth = Math.max(0, Math.min(60, usable - rates.length));

  const top = [
    // Colour goes on after fitting, so escape codes never count towards the width.
    title.replace(/^docpool/, paint.bold('docpool')).replace(` · ${state} · `, ` · ${stateText} · `),
    fit(
      `${bar(fraction, Math.max(10, usable - 36))} ${total ? `${Math.floor(fraction * 100)}%` : '…'} ${count(run.finished)}/${total === undefined ? `${count(run.discovered)}+` : count(total)} ${run.files === run.discovered ? 'files' : `documents in ${count(run.files)} files`}`,
    ),
    `${rates}${paint.cyan(sparkline(run.filesPerSecondSeries, sparkWidth))}`,
    fit(
      `prep ${run.inPhase.preparing} · classify ${run.inPhase.classifying} · extract ${run.inPhase.extracting} · done ${count(run.done)} · cached ${count(run.cached)} · failed ${count(run.failed)}${run.skipped > 0 ? ` · skipped ${count(run.skipped)}` : ''}`,
    ),
    ...(reviewLine(run.review) ? [fit(`review ${reviewLine(run.review)!}`)] : []),
    '',
    ...(narrow
      ? []
      : [
          paint.dim(
            fit(
              `${'model'.padEnd(16)} ${'flight'.padStart(7)} ${'RPM used'.padStart(11)} ${'TPM used'.padStart(11)} ${'429s'.padStart(5)} ${'retry'.padStart(6)} ${'p50/p95 ms'.padStart(11)}`,
            ),
          ),
        ]),
    ...snapshot.models.map((model) => modelLine(model, usable, paint)),
    ...(snapshot.queue ? queueLines(snapshot.queue, narrow).map(fit) : []),
    '',
    fit(
      `spent $${run.costUsd.toFixed(4)} · projected $${snapshot.projectedCostUsd.toFixed(2)} · tokens ${count(run.tokens.input)} in / ${count(run.tokens.output + run.tokens.thinking)} out · cache hits ${count(run.cached)}`,
    ),
    ...(narrow
      ? []
      : [
          fit(
            `workers ${snapshot.pool.workers} at ${Math.round(snapshot.pool.utilisation * 100)}% · RSS ${megabytes(snapshot.rssBytes)} · event loop p99 ${snapshot.eventLoopP99Ms.toFixed(1)} ms · read ${count(run.filesRead)}, unchanged ${count(run.statHits)}`,
          ),
          classes.length === 0 ? paint.dim('classes: none yet') : fit(`classes: ${classes.map(([label, files]) => `${label} ${count(files)}`).join(' · ')}`),
        ]),
    '',
    paint.dim('recent errors'),
  ];
  const bottom = ['', paint.inverse(fit(` p ${snapshot.paused ? 'resume' : 'pause'}  + / - API concurrency  q stop (finish in-flight, save, summary) `))];
  // The frame's height is fixed for a terminal size: at most one row less than the terminal.
  const frameHeight = Math.min(height - 1, top.length + MAX_ERROR_ROWS + bottom.length);
  const errorRows = Math.max(1, frameHeight - top.length - bottom.length);
  const errors = run.recentErrors
    .slice(-errorRows)
    .map((error) =>
      paint.red(fit(`  ${error.code.padEnd(15)} ${shortPath(printable(error.path), Math.max(20, Math.floor(usable / 2)))}  ${printable(error.message)}`)),
    );
  const errorLines = errors.length === 0 ? [paint.dim('  none')] : errors;
  while (errorLines.length < errorRows) errorLines.push('');
  // On a terminal too short for every panel, the top panels keep their place and the rest is cut.
  return [...top, ...errorLines, ...bottom].slice(0, Math.max(frameHeight, 1));
}

function modelLine(model: ModelLimiterStats, width: number, paint: ChalkInstance): string {
  const latency = model.latencyP50 === undefined ? '-' : `${model.latencyP50}/${model.latencyP95}`;
  // Plain ASCII notes: symbols such as a warning sign are drawn two cells wide by some terminals.
  // Fits 79 columns with a pause note: 16 + 7 + 11 + 11 + 5 + 6 + 11, six spaces, " ||12s".
  const note = model.outage.held
    ? ` DOWN ${Math.ceil(model.outage.heldForMs / 1000)}s`
    : model.pausedForMs > 0
      ? ` ||${Math.ceil(model.pausedForMs / 1000)}s`
      : '';
  const line = [
    // Every Gemini model shares the prefix: "3.5-flash-lite" fits where "gemini-3.5-flash-lite" would be cut.
    truncate(model.model.replace(/^gemini-/, ''), 16).padEnd(16),
    `${model.inFlight}/${model.concurrency}`.padStart(7),
    // "?" while Google has not yet said the limit (unpublished, found from its first 429).
    `${compact(model.requestsInWindow)}/${model.rpm === undefined ? '?' : compact(model.rpm)}`.padStart(11),
    `${compact(model.tokensInWindow)}/${model.tpm === undefined ? '?' : compact(model.tpm)}`.padStart(11),
    String(model.rateLimited).padStart(5),
    String(model.retries).padStart(6),
    latency.padStart(11),
  ].join(' ');
  const text = truncate(line + note, width);
  return note ? paint.yellow(text) : text;
}

function compact(value: number): string {
  if (value >= 1_000_000) return `${(value / 1_000_000).toFixed(1)}M`;
  if (value >= 10_000) return `${Math.round(value / 1_000)}k`;
  return String(value);
}

/** The queue's jobs, then one line per worker (at most four; the rest summed): who is doing what. */
function queueLines(queue: QueueSnapshot, narrow: boolean): string[] {
  const head = queueLine(queue);
  if (narrow) return [head];
  const now = Date.now();
  const shown = queue.workers.slice(0, MAX_WORKER_ROWS).map((worker) => {
    const rate = worker.done / Math.max(1, (worker.at - worker.startedAt) / 1000);
    return `  ${worker.id.padEnd(24)} ${String(worker.inFlight).padStart(5)} in hand · ${count(worker.done)} answered · ${rate.toFixed(1)} files/s · ${count(worker.failed)} failed${now - worker.at > 5000 ? ' · silent' : ''}`;
  });
  const rest = queue.workers.length - shown.length;
  return [head, ...shown, ...(rest > 0 ? [`  and ${rest} more`] : [])];
}

const MAX_WORKER_ROWS = 4;
