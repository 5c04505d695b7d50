import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ModelHeld } from '../src/main/providers/gemini/outage-guard.ts';
import { ModelLimiter } from '../src/main/providers/gemini/model-limiter.ts';
import { RunStats } from '../src/main/progress/run-stats.ts';
import { formatProgressLine } from '../src/main/progress/run-summary.ts';

const WINDOW_MS = 10_000;
const RPM = 10;

function limiter(): ModelLimiter {
  return new ModelLimiter({
    model: 'gemini-3.8-flash',
    rpm: RPM,
    tpm: 1_000_000,
    concurrency: 4,
    windowMs: WINDOW_MS,
    outage: { threshold: 1, firstProbeDelayMs: 10, maxProbeDelayMs: 100, giveUpAfterMs: 60_000 },
  });
}

/** The work's result, or 'starved' if it has not come within a quarter window (a leaked quota never comes back). */
async function soonOrStarved<T>(work: Promise<T>): Promise<T | 'starved'> {
  let timer: NodeJS.Timeout | undefined;
  const starved = new Promise<'starved'>((resolve) => (timer = setTimeout(() => resolve('starved'), WINDOW_MS / 4)));
  try {
    return await Promise.race([work, starved]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A request turned back unsent (queued before its model was held, or dequeued after a stop) has
 * been through Bottleneck's reservoirs: unless its units are given back, every outage shrinks the
 * quota for the rest of the run, and enough of them starve the model until nothing is ever sent.
 */
test('requests turned back while the model is held give their quota back', async () => {
  const model = limiter();
  try {
    // The model goes down; twenty requests were already queued for it.
    model.outage.failed(false, Date.now());
    assert.equal(model.outage.held, true);
    const turnedBack = await soonOrStarved(Promise.allSettled(Array.from({ length: 20 }, () => model.schedule(1_000, async () => 'sent'))));
    assert.ok(turnedBack !== 'starved', 'all twenty are dequeued and turned back within the quota of ten');
    assert.ok(
      turnedBack.every((outcome) => outcome.status === 'rejected' && outcome.reason instanceof ModelHeld),
      'all turned back unsent',
    );
    assert.equal(model.stats().sent, 0);

    // The probe is answered: the model is back, and its whole quota with it (the window is long,
    // so only units never taken can serve these requests).
    model.outage.answered(true, Date.now());
    const sent = await soonOrStarved(Promise.all(Array.from({ length: RPM }, () => model.schedule(1_000, async () => 'sent'))));
    assert.notEqual(sent, 'starved', `the quota's ${RPM} requests go at once, not after a window or never`);
    assert.equal(model.stats().sent, RPM);
  } finally {
    await model.stop();
  }
});

test('requests dequeued after the run stopped give their quota back', async () => {
  const model = limiter();
  try {
    // Four requests in flight hold the concurrency; six more wait behind them when the run stops.
    let finish: () => void = () => {};
    const inFlight = new Promise<void>((resolve) => (finish = resolve));
    const sending = Array.from({ length: 4 }, () => model.schedule(1_000, () => inFlight));
    const stop = new AbortController();
    const waiting = Array.from({ length: RPM - 4 }, () => model.schedule(1_000, async () => 'sent', { stop: stop.signal }));
    await new Promise((resolve) => setImmediate(resolve)); // queued in Bottleneck by now
    stop.abort(new DOMException('stopped', 'AbortError'));
    assert.ok(
      (await Promise.allSettled(waiting)).every((outcome) => outcome.status === 'rejected'),
      'the waiting ones are not sent',
    );
    finish();
    await Promise.all(sending);
    // The six were dequeued once the four ended, and turned back unsent: their units are free again.
    const sent = await soonOrStarved(Promise.all(Array.from({ length: RPM - 4 }, () => model.schedule(1_000, async () => 'sent'))));
    assert.notEqual(sent, 'starved', 'the quota the stopped requests never used is there for the next ones');
    assert.equal(model.stats().sent, RPM);
  } finally {
    await model.stop();
  }
});

test('the plain progress line names a model that is down or paused, so standing counts say why', async () => {
  const down = limiter();
  const paused = new ModelLimiter({
    model: 'gemini-3.5-flash-lite',
    rpm: RPM,
    tpm: 1_000_000,
    concurrency: 4,
    windowMs: WINDOW_MS,
    outage: { threshold: 5, firstProbeDelayMs: 10, maxProbeDelayMs: 100, giveUpAfterMs: 60_000 },
  });
  try {
    down.outage.failed(false, Date.now());
    paused.onRateLimited(3_000);
    const line = formatProgressLine(new RunStats().snapshot(), [down.stats(), paused.stats()]);
    assert.match(line, /; gemini-3\.8-flash answering only server errors for \d+ s, probing; gemini-3\.5-flash-lite paused 3 s \(rate limited\)$/);
    assert.doesNotMatch(formatProgressLine(new RunStats().snapshot(), [limiter().stats()]), /;/, 'nothing added while every model answers');
  } finally {
    await Promise.all([down.stop(), paused.stop()]);
  }
});
