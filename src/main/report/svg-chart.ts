import { escapeHtml } from './escape-html.ts';

/** A line on a chart: points as [seconds into the run, value]. */
export interface Series {
  readonly name: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
  readonly color: string;
  /** A reference line (a quota) rather than a measurement. */
  readonly dashed?: boolean;
}

export interface LineChartOptions {
  readonly title: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Where a later attempt of the run started (seconds into the run). */
  readonly markers?: readonly number[];
}

const WIDTH = 760;
const HEIGHT = 240;
const MARGIN = { top: 30, right: 16, bottom: 34, left: 64 };
/** More points than a chart this wide can show are averaged into buckets. */
const MAX_POINTS = 380;

/** A line chart as inline SVG: no script, no external reference, readable whatever the run's length. */
export function lineChart(options: LineChartOptions): string {
  const series = options.series.map((line) => ({ ...line, points: thin(line.points) }));
  const all = series.flatMap((line) => line.points);
  const xMax = Math.max(1, ...all.map(([x]) => x));
  const peak = Math.max(0, ...all.map(([, y]) => y));
  const scale = Math.min(peak, sustainedHeight(series, xMax));
  const yTicks = niceTicks(scale);
  const yMax = yTicks.at(-1)!;
  const clipped = peak > yMax;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (value: number) => MARGIN.left + (value / xMax) * plotWidth;
  const y = (value: number) => MARGIN.top + plotHeight - (value / yMax) * plotHeight;
  const parts: string[] = [];
  for (const tick of yTicks) {
    parts.push(`<line class="grid" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}"/>`);
    parts.push(`<text class="tick" x="${MARGIN.left - 6}" y="${(y(tick) + 4).toFixed(1)}" text-anchor="end">${formatTick(tick)}</text>`);
  }
  for (const tick of niceTicks(xMax)) {
    if (tick > xMax) break;
    parts.push(`<text class="tick" x="${x(tick).toFixed(1)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${formatDuration(tick)}</text>`);
  }
  for (const marker of options.markers ?? []) {
    parts.push(
      `<line class="marker" x1="${x(marker).toFixed(1)}" x2="${x(marker).toFixed(1)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}"><title>a later attempt starts</title></line>`,
    );
  }
  for (const line of series) {
    if (line.points.length === 0) continue;
    const path = line.points.map(([px, py], index) => `${index === 0 ? 'M' : 'L'}${x(px).toFixed(1)},${y(Math.min(py, yMax)).toFixed(1)}`).join('');
    parts.push(
      `<path d="${path}" fill="none" stroke="${line.color}" stroke-width="${line.dashed ? 1.5 : 2}"${line.dashed ? ' stroke-dasharray="6 4"' : ''}><title>${escapeHtml(line.name)}</title></path>`,
    );
  }
  let legendX = MARGIN.left;
  for (const line of series) {
    parts.push(
      `<rect x="${legendX}" y="8" width="12" height="4" fill="${line.color}"/><text class="legend" x="${legendX + 16}" y="14">${escapeHtml(line.name)}</text>`,
    );
    legendX += 28 + line.name.length * 7;
  }
  parts.push(
    `<text class="axis" x="14" y="${MARGIN.top + plotHeight / 2}" transform="rotate(-90 14 ${MARGIN.top + plotHeight / 2})" text-anchor="middle">${escapeHtml(options.yLabel)}</text>`,
  );
  parts.push(`<line class="axis-line" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight}"/>`);
  const note = clipped ? ` <span class="muted">(brief peaks, up to ${formatTick(peak)}, run off the top)</span>` : '';
  return `<figure><figcaption>${escapeHtml(options.title)}${note}</figcaption><svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeHtml(options.title)}">${parts.join('')}</svg></figure>`;
}

/** Horizontal bars, largest first: a histogram of labels. */
export function barChart(title: string, bars: ReadonlyArray<readonly [string, number]>, color: string): string {
  const rowHeight = 22;
  const labelWidth = 220;
  const height = bars.length * rowHeight + 10;
  const max = Math.max(1, ...bars.map(([, value]) => value));
  const barSpace = WIDTH - labelWidth - 90;
  const rows = bars.map(([label, value], index) => {
    const top = 5 + index * rowHeight;
    const width = Math.max(1, (value / max) * barSpace);
    return (
      `<text class="legend" x="${labelWidth - 8}" y="${top + 15}" text-anchor="end">${escapeHtml(label)}</text>` +
      `<rect x="${labelWidth}" y="${top + 3}" width="${width.toFixed(1)}" height="${rowHeight - 6}" fill="${color}"><title>${escapeHtml(label)}: ${value}</title></rect>` +
      `<text class="tick" x="${(labelWidth + width + 6).toFixed(1)}" y="${top + 15}">${value.toLocaleString('en-US')}</text>`
    );
  });
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg class="chart" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeHtml(title)}">${rows.join('')}</svg></figure>`;
}

/** A value held for less than this share of the chart's time does not set its scale. */
const BRIEF_SHARE = 0.05;

/**
 * The highest level the lines hold for at least BRIEF_SHARE of the time: a cached pass that
 * finishes 2,000 files in a second would otherwise flatten an hour of real work into the floor.
 */
function sustainedHeight(series: ReadonlyArray<{ points: ReadonlyArray<readonly [number, number]> }>, xMax: number): number {
  const segments: Array<[number, number]> = [];
  for (const line of series) {
    for (let index = 1; index < line.points.length; index++) {
      const [x0, y0] = line.points[index - 1]!;
      const [x1, y1] = line.points[index]!;
      segments.push([Math.min(y0, y1), x1 - x0]);
    }
  }
  segments.sort((a, b) => b[0] - a[0]);
  let held = 0;
  for (const [level, width] of segments) {
    held += width;
    if (held >= BRIEF_SHARE * xMax) return level;
  }
  return Infinity;
}

/** Averages runs of neighbouring points so no series has more than MAX_POINTS. */
function thin(points: ReadonlyArray<readonly [number, number]>): ReadonlyArray<readonly [number, number]> {
  if (points.length <= MAX_POINTS) return points;
  const size = Math.ceil(points.length / MAX_POINTS);
  const thinned: Array<[number, number]> = [];
  for (let start = 0; start < points.length; start += size) {
    const bucket = points.slice(start, start + size);
    thinned.push([bucket.at(-1)![0], bucket.reduce((sum, [, value]) => sum + value, 0) / bucket.length]);
  }
  return thinned;
}

/** 0 and four or five round steps up to at least `max`. */
function niceTicks(max: number): number[] {
  if (max <= 0) return [0, 1];
  const rough = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((factor) => factor * magnitude).find((candidate) => candidate >= rough)!;
  const ticks: number[] = [];
  for (let tick = 0; tick < max + step; tick += step) ticks.push(Number(tick.toPrecision(12)));
  return ticks;
}

function formatTick(value: number): string {
  if (value >= 1_000_000) return `${Number((value / 1_000_000).toPrecision(3))}M`;
  if (value >= 10_000) return `${Number((value / 1000).toPrecision(3))}k`;
  return String(Number(value.toPrecision(4)));
}

function formatDuration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Number((seconds / 60).toPrecision(3))} min`;
  return `${Number((seconds / 3600).toPrecision(3))} h`;
}
