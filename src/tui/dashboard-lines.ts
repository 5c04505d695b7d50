import chalk from 'chalk';
import type { DashboardSnapshot } from '../main/progress/dashboard-feed.ts';
import type { ModelLimiterStats } from '../main/providers/gemini/model-limiter.ts';
import { bar, count, duration, megabytes, shortPath, sparkline, truncate } from './format.ts';

/**
 * The dashboard of DESIGN §7 as plain lines (colour as ANSI), a pure function of one snapshot.
 * Drawn as a single Ink <Text>: laying out one node instead of thirty is what keeps each frame's
 * cost on the main thread small (the pipeline shares that thread).
 */
export function dashboardLines(snapshot: DashboardSnapshot, width: number, height: number): string[] {
  const { run } = snapshot;
  const total = run.discoveryDone ? run.discovered : undefined;
  const fraction = total ? run.finished / total : 0;
  const state = snapshot.stopping ? 'stopping' : snapshot.paused ? 'paused' : run.discoveryDone && run.finished === run.discovered ? 'finished' : 'running';
  // 17 rows of fixed panels; the rest (up to 10) go to recent errors.
  const errorRows = Math.max(2, Math.min(10, height - 17));
  const fit = (line: string) => truncate(line, width);
  const stateText = state === 'running' ? chalk.green(state) : chalk.yellow(state);
  const errors = run.recentErrors.slice(-errorRows).map((error) => chalk.red(fit(`  ${error.code.padEnd(15)} ${shortPath(error.path, Math.max(20, Math.floor(width / 2)))}  ${error.message}`)));
  const classes = Object.entries(run.byClass).sort((a, b) => b[1] - a[1]);
  const title = fit(`docpool run ${snapshot.runId} · ${snapshot.provider} · ${state} · elapsed ${duration(run.elapsedMs / 1000)} · ETA ${duration(run.etaSeconds)}`);
  const rates = fit(`files/s ${run.recentFilesPerSecond.toFixed(1)} now, ${run.filesPerSecond.toFixed(1)} avg · pages/s ${run.recentPagesPerSecond.toFixed(0)} now, ${run.pagesPerSecond.toFixed(0)} avg · `);
  const sparkWidth = Math.max(0, Math.min(60, width - rates.length));
  return [
    // Colour goes on after fitting, so escape codes never count towards the width.
    title.replace(/^docpool/, chalk.bold('docpool')).replace(` · ${state} · `, ` · ${stateText} · `),
    fit(`${bar(fraction, Math.max(10, width - 36))} ${total ? `${Math.floor(fraction * 100)}%` : '…'} ${count(run.finished)}/${total === undefined ? `${count(run.discovered)}+` : count(total)} files`),
    `${rates}${chalk.cyan(sparkline(run.filesPerSecondSeries, sparkWidth))}`,
    fit(`prep ${run.inPhase.preparing} · classify ${run.inPhase.classifying} · extract ${run.inPhase.extracting} · done ${count(run.done)} · cached ${count(run.cached)} · failed ${count(run.failed)}`),
    '',
    chalk.dim(fit(`${'model'.padEnd(17)} ${'flight'.padStart(7)} ${'RPM used'.padStart(11)} ${'TPM used'.padStart(11)} ${'429s'.padStart(5)} ${'retry'.padStart(6)} ${'p50/p95 ms'.padStart(11)}`)),
    ...snapshot.models.map((model) => modelLine(model, width)),
    '',
    fit(`spent $${run.costUsd.toFixed(4)} · projected $${snapshot.projectedCostUsd.toFixed(2)} · tokens ${count(run.tokens.input)} in / ${count(run.tokens.output + run.tokens.thinking)} out · cache hits ${count(run.cached)}`),
    fit(`workers ${snapshot.pool.workers} at ${Math.round(snapshot.pool.utilisation * 100)}% · RSS ${megabytes(snapshot.rssBytes)} · event loop p99 ${snapshot.eventLoopP99Ms.toFixed(1)} ms · read ${count(run.filesRead)}, unchanged ${count(run.statHits)}`),
    classes.length === 0 ? chalk.dim('classes: none yet') : fit(`classes: ${classes.map(([label, files]) => `${label} ${count(files)}`).join(' · ')}`),
    '',
    chalk.dim('recent errors'),
    ...(errors.length === 0 ? [chalk.dim('  none')] : errors),
    '',
    chalk.inverse(fit(` p ${snapshot.paused ? 'resume' : 'pause'}  + / - API concurrency  q stop (finish in-flight, save, summary) `)),
  ];
}

function modelLine(model: ModelLimiterStats, width: number): string {
  const latency = model.latencyP50 === undefined ? '-' : `${model.latencyP50}/${model.latencyP95}`;
  const paused = model.outage.held
    ? ` ⚠ outage ${Math.ceil(model.outage.heldForMs / 1000)}s, probing`
    : model.pausedForMs > 0
      ? ` ⏸${Math.ceil(model.pausedForMs / 1000)}s`
      : '';
  // Fits 80 columns with a pause note: 17 + 7 + 11 + 11 + 5 + 6 + 11, six spaces, " ⏸12s".
  const line = [
    truncate(model.model, 17).padEnd(17),
    `${model.inFlight}/${model.concurrency}`.padStart(7),
    `${compact(model.requestsInWindow)}/${compact(model.rpm)}`.padStart(11),
    `${compact(model.tokensInWindow)}/${compact(model.tpm)}`.padStart(11),
    String(model.rateLimited).padStart(5),
    String(model.retries).padStart(6),
    latency.padStart(11),
  ].join(' ');
  const text = truncate(line + paused, width);
  return paused ? chalk.yellow(text) : text;
}

function compact(value: number): string {
  if (value >= 1_000_000) return `${(value / 1_000_000).toFixed(1)}M`;
  if (value >= 10_000) return `${Math.round(value / 1_000)}k`;
  return String(value);
}
