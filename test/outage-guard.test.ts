import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutageGuard } from '../src/main/providers/gemini/outage-guard.ts';

/**
 * Node fires a timer by its monotonic millisecond clock; the guard says when a probe is due by
 * Date.now(). The two round differently, so about one timer in five fires a millisecond "early"
 * by Date.now(). A waiter woken then must wait out the rest, not go back to sleep with nothing left
 * to wake it: with no new file arriving to notice the due probe, the run would hang for ever,
 * never probing, never giving up (how the outage test once hung in CI).
 */
test('a probe woken a millisecond early by its timer still goes out', async () => {
  for (let attempt = 0; attempt < 50; attempt++) {
    const guard = new OutageGuard({
      model: 'gemini-3.8-flash',
      threshold: 1,
      firstProbeDelayMs: 1 + (attempt % 7),
      maxProbeDelayMs: 1_000,
      giveUpAfterMs: 60_000,
    });
    const stop = new AbortController();
    try {
      const spinUntil = performance.now() + Math.random() * 2; // a random phase within the millisecond
      while (performance.now() < spinUntil);
      assert.equal(guard.failed(false, Date.now()), true, 'the model is held');
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([guard.enter(stop.signal), new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 1_000)))]);
      clearTimeout(timer);
      assert.deepEqual(outcome, { probe: true }, `attempt ${attempt}: the waiter got its probe`);
    } finally {
      stop.abort();
      guard.stop();
    }
  }
});
