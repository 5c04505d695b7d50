import type { Series } from './svg-chart.ts';
import type { Attempt } from './report-data.ts';
import type { ModelSample, RunSample } from '../state/run-sample.ts';

/** The time axis: the run's attempts one after the other (the gaps between them left out). */
export interface Timeline {
  /** Where each later attempt starts, seconds into the run. */
  readonly markers: readonly number[];
  readonly filesPerSecond: Series[];
  readonly spend: Series[];
  /** Per model: requests accepted and 429s in the trailing quota window (what the quota counts), and the quota. */
  readonly models: ReadonlyArray<{ readonly model: string; readonly series: Series[] }>;
}

const COLORS = { files: '#2563eb', spend: '#059669', requests: '#2563eb', refused: '#dc2626', quota: '#6b7280' };

/** Turns cumulative samples into rates and running totals along the run's active time. */
export function timeline(attempts: readonly Attempt[], quotaWindowMs: number): Timeline {
  const markers: number[] = [];
  const files: Array<[number, number]> = [];
  const spend: Array<[number, number]> = [[0, 0]];
  const models = new Map<string, { requests: Array<[number, number]>; refused: Array<[number, number]>; rpm: number | undefined }>();
  let offset = 0;
  let spentBefore = 0;
  for (const [index, attempt] of attempts.entries()) {
    if (index > 0) markers.push(offset);
    const at = (time: number) => offset + (time - attempt.startedAt) / 1000;
    for (const sample of attempt.samples) spend.push([at(sample.at), spentBefore + spentIn(sample)]);
    // Rates are drawn as steps, each level held over the interval it was measured in.
    let previous: RunSample | undefined;
    for (const sample of rateBoundaries(attempt)) {
      const from = previous?.at ?? attempt.startedAt;
      const seconds = (sample.at - from) / 1000;
      step(files, at(from), at(sample.at), (sample.finished - (previous?.finished ?? 0)) / seconds);
      previous = sample;
    }
    // What the quota counts: requests in the trailing window. Counted from the first sample at or
    // after the window's start, so a point never spans more than a window (it may miss up to one
    // sample interval of it): a chart above the quota line means a window really was.
    let first = 0;
    for (const sample of attempt.samples) {
      const windowStart = sample.at - quotaWindowMs;
      while (attempt.samples[first]!.at < windowStart) first++;
      // The window reaches back before the attempt: everything so far is in it.
      const fromStart = windowStart <= attempt.startedAt;
      const since = attempt.samples[first]!;
      if (!fromStart && since === sample) continue; // no sample inside the window: nothing true to plot
      for (const model of sample.models) {
        const line = models.get(model.model) ?? { requests: [], refused: [], rpm: model.rpm };
        // The quota line shows the last limit paced against (a learned one comes in a later sample).
        if (model.rpm !== undefined) line.rpm = model.rpm;
        const base = fromStart ? undefined : since.models.find((entry) => entry.model === model.model);
        // Accepted: answered and not refused. A request still in flight is not counted yet (its 429 may be on the way).
        const accepted = (entry: ModelSample) => (entry.settled ?? entry.sent) - entry.rateLimited;
        line.requests.push([at(sample.at), accepted(model) - (base ? accepted(base) : 0)]);
        line.refused.push([at(sample.at), model.rateLimited - (base?.rateLimited ?? 0)]);
        models.set(model.model, line);
      }
    }
    offset += (attempt.endedAt - attempt.startedAt) / 1000;
    spentBefore += attempt.samples.length > 0 ? spentIn(attempt.samples.at(-1)!) : 0;
  }
  return {
    markers,
    filesPerSecond: [{ name: 'files finished per second', points: files, color: COLORS.files }],
    spend: [{ name: 'USD spent (answers as they arrived)', points: spend, color: COLORS.spend }],
    models: [...models].map(([model, line]) => ({
      model,
      series: [
        { name: 'requests accepted in the trailing window', points: line.requests, color: COLORS.requests },
        { name: '429s in the trailing window', points: line.refused, color: COLORS.refused },
        ...(line.rpm === undefined
          ? []
          : [
              {
                name: `quota paced against (${line.rpm.toLocaleString('en-US')} per window)`,
                points: [
                  [0, line.rpm],
                  [offset, line.rpm],
                ] as Array<[number, number]>,
                color: COLORS.quota,
                dashed: true,
              },
            ]),
      ],
    })),
  };
}

/** An interval shorter than this (the closing sample just after the last periodic one) is merged with its neighbour. */
const MIN_INTERVAL_MS = 1_000;

/**
 * The samples that bound the rate intervals: none closer than MIN_INTERVAL_MS to the one before,
 * except the last, which takes the place of the one before it if the two are too close.
 */
function rateBoundaries(attempt: Attempt): RunSample[] {
  const kept: RunSample[] = [];
  for (const sample of attempt.samples) {
    const from = kept.at(-1)?.at ?? attempt.startedAt;
    if (sample.at - from >= MIN_INTERVAL_MS) kept.push(sample);
  }
  const last = attempt.samples.at(-1);
  if (last && kept.at(-1) !== last) {
    if (kept.length > 0) kept.pop();
    if (last.at > attempt.startedAt) kept.push(last);
  }
  return kept;
}

function step(points: Array<[number, number]>, from: number, to: number, value: number): void {
  points.push([from, value], [to, value]);
}

function spentIn(sample: RunSample): number {
  return sample.spend.reduce((sum, entry) => sum + entry.costUsd, 0);
}
