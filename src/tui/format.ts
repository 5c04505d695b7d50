/** Text helpers for the dashboard: numbers, durations, bars, sparklines. Pure. */
import { count } from '../main/progress/numbers.ts';

export { count };

export function duration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '--:--';
  const whole = Math.max(0, Math.round(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}

export function megabytes(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MB`;
}

export function bar(fraction: number, width: number): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

const TICKS = '▁▂▃▄▅▆▇█';

export function sparkline(series: readonly number[], width: number): string {
  const points = series.slice(-width);
  const top = Math.max(1, ...points);
  return points.map((value) => (value === 0 ? ' ' : TICKS[Math.min(TICKS.length - 1, Math.floor((value / top) * (TICKS.length - 1)))])).join('');
}

export function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** "…/batch-003/doc-000123.pdf": the end of a path is the part that tells files apart. */
export function shortPath(path: string, width: number): string {
  return path.length <= width ? path : `…${path.slice(path.length - width + 1)}`;
}
