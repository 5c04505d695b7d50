/** @jsxRuntime automatic */
/** @jsxImportSource react */
// (tsx outside the project folder finds no tsconfig; the pragmas pin the JSX transform either way.)
import { Box, Text } from 'ink';
import type { DashboardSnapshot } from '../main/dashboard-feed.ts';
import type { ModelLimiterStats } from '../main/gemini/model-limiter.ts';
import { bar, duration, megabytes, number, shortPath, sparkline, truncate } from './format.ts';

export interface DashboardProps {
  readonly snapshot: DashboardSnapshot;
  /** Terminal columns; the layout fits 80 and uses more when there is more. */
  readonly width: number;
  /** Terminal rows; more rows show more recent errors. */
  readonly height: number;
}

/** The whole dashboard of DESIGN §7 as a pure function of one snapshot. */
export function Dashboard({ snapshot, width, height }: DashboardProps) {
  const { run } = snapshot;
  const total = run.discoveryDone ? run.discovered : undefined;
  const fraction = total ? run.finished / total : 0;
  const state = snapshot.stopping ? 'stopping' : snapshot.paused ? 'paused' : run.discoveryDone && run.finished === run.discovered ? 'finished' : 'running';
  // 17 rows of fixed panels; the rest (up to 10) go to recent errors.
  const errorRows = Math.max(2, Math.min(10, height - 17));
  return (
    <Box flexDirection="column" width={width}>
      <Text>
        <Text bold>docpool</Text> run {snapshot.runId} · {snapshot.provider} · <Text color={state === 'running' ? 'green' : 'yellow'}>{state}</Text> · elapsed {duration(run.elapsedMs / 1000)} · ETA {duration(run.etaSeconds)}
      </Text>
      <Text wrap="truncate-end">
        {bar(fraction, Math.max(10, width - 36))} {total ? `${Math.floor(fraction * 100)}%` : '…'} {number(run.finished)}/{total === undefined ? `${number(run.discovered)}+` : number(total)} files
      </Text>
      <Text wrap="truncate-end">
        files/s {run.recentFilesPerSecond.toFixed(1)} now, {run.filesPerSecond.toFixed(1)} avg · pages/s {run.recentPagesPerSecond.toFixed(0)} now, {run.pagesPerSecond.toFixed(0)} avg ·{' '}
        <Text color="cyan">{sparkline(run.filesPerSecondSeries, Math.max(10, Math.min(60, width - 62)))}</Text>
      </Text>
      <Text wrap="truncate-end">
        prep {run.inStage.preparing} · classify {run.inStage.classifying} · extract {run.inStage.extracting} · <Text color="green">done {number(run.done)}</Text> · cached {number(run.cached)} · <Text color={run.failed > 0 ? 'red' : undefined}>failed {number(run.failed)}</Text>
      </Text>
      <Text> </Text>
      <Text dimColor>{truncate(`${'model'.padEnd(17)} ${'flight'.padStart(7)} ${'RPM used'.padStart(11)} ${'TPM used'.padStart(11)} ${'429s'.padStart(5)} ${'retry'.padStart(6)} ${'p50/p95 ms'.padStart(11)}`, width)}</Text>
      {snapshot.models.map((model) => (
        <ModelRow key={model.model} model={model} width={width} />
      ))}
      <Text> </Text>
      <Text wrap="truncate-end">
        spent ${snapshot.run.costUsd.toFixed(4)} · projected ${snapshot.projectedCostUsd.toFixed(2)} · tokens {number(run.tokens.input)} in / {number(run.tokens.output + run.tokens.thinking)} out · cache hits {number(run.cached)}
      </Text>
      <Text wrap="truncate-end">
        workers {snapshot.pool.workers} at {Math.round(snapshot.pool.utilisation * 100)}% · RSS {megabytes(snapshot.rssBytes)} · event loop p99 {snapshot.eventLoopP99Ms.toFixed(1)} ms · read {number(run.filesRead)}, unchanged {number(run.statHits)}
      </Text>
      <ClassHistogram byClass={run.byClass} width={width} />
      <Text> </Text>
      <Text dimColor>recent errors</Text>
      {run.recentErrors.length === 0 ? <Text dimColor>  none</Text> : null}
      {run.recentErrors.slice(-errorRows).map((error, index) => (
        <Text key={`${error.path}-${index}`} color="red">
          {truncate(`  ${error.code.padEnd(15)} ${shortPath(error.path, Math.max(20, Math.floor(width / 2)))}  ${error.message}`, width)}
        </Text>
      ))}
      <Text> </Text>
      <Text inverse>{truncate(` p ${snapshot.paused ? 'resume' : 'pause'}  + / - API concurrency  q stop (finish in-flight, save, summary) `, width)}</Text>
    </Box>
  );
}

function ModelRow({ model, width }: { model: ModelLimiterStats; width: number }) {
  const latency = model.latencyP50 === undefined ? '-' : `${model.latencyP50}/${model.latencyP95}`;
  const paused = model.pausedForMs > 0 ? ` ⏸${Math.ceil(model.pausedForMs / 1000)}s` : '';
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
  return <Text color={model.rateLimited > 0 && model.pausedForMs > 0 ? 'yellow' : undefined}>{truncate(line + paused, width)}</Text>;
}

function ClassHistogram({ byClass, width }: { byClass: Readonly<Record<string, number>>; width: number }) {
  const entries = Object.entries(byClass).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return <Text dimColor>classes: none yet</Text>;
  const text = entries.map(([label, count]) => `${label} ${number(count)}`).join(' · ');
  return <Text>{truncate(`classes: ${text}`, width)}</Text>;
}

function compact(value: number): string {
  if (value >= 1_000_000) return `${(value / 1_000_000).toFixed(1)}M`;
  if (value >= 10_000) return `${Math.round(value / 1_000)}k`;
  return String(value);
}
