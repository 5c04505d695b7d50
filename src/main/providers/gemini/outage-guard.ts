import { raceAbort } from '../../abortable.ts';
import { AdmissionStopped } from '../../errors.ts';

/** Thrown instead of sending a request queued before its model was held: it goes back to wait its turn. */
export class ModelHeld extends Error {
  override readonly name = 'ModelHeld';
}

export interface OutageGuardOptions {
  readonly model: string;
  /** Transient failures in a row (5xx, timeouts, resets, with no success between) that mean the model is down. */
  readonly threshold: number;
  /** First wait before a probe; it doubles after each failed probe, up to `maxProbeDelayMs`. */
  readonly firstProbeDelayMs: number;
  readonly maxProbeDelayMs: number;
  /** An outage longer than this stops admission (the run ends, nothing is marked failed). */
  readonly giveUpAfterMs: number;
}

export interface OutageState {
  readonly held: boolean;
  /** How long the current outage has lasted, ms (0 when the model answers). */
  readonly heldForMs: number;
  readonly outages: number;
  readonly probes: number;
}

/**
 * A model-wide outage handled the way a careful operator would (a circuit breaker). Random 503s
 * are retried per request, but when a model answers nothing but transient errors, every request
 * retrying on its own only hammers it and burns each file's attempts. So the model is held: one
 * probe request at a time goes out, with doubling backoff; everyone else waits (without spending
 * an attempt) until a probe is answered, then all resume at once. An outage longer than
 * `giveUpAfterMs` stops admission with a message, leaving the files for the next run.
 */
export class OutageGuard {
  #failuresInRow = 0;
  /** Send time of the latest request that failed: "in a row" is in the order requests were sent. */
  #lastFailureSentAt = 0;
  #heldSince: number | undefined;
  #probeInFlight = false;
  #nextProbeAt = 0;
  #probeDelayMs: number;
  #outages = 0;
  #probes = 0;
  #everAnswered = false;
  #wake: Array<() => void> = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: OutageGuardOptions) {
    this.#probeDelayMs = options.firstProbeDelayMs;
  }

  get held(): boolean {
    return this.#heldSince !== undefined;
  }

  /** Whether the model has answered anything in this run (an endpoint that never has is likely misconfigured). */
  get everAnswered(): boolean {
    return this.#everAnswered;
  }

  /**
   * Waits until a request may be sent: at once while the model answers; while it is held, until
   * this caller may send the next probe. Returns whether the request is that probe.
   */
  async enter(stop: AbortSignal): Promise<{ probe: boolean }> {
    for (;;) {
      if (stop.aborted) throw stop.reason ?? new DOMException('stopped', 'AbortError');
      if (this.#heldSince === undefined) return { probe: false };
      if (Date.now() - this.#heldSince > this.options.giveUpAfterMs) {
        throw new AdmissionStopped(
          'API_OUTAGE',
          `${this.options.model} has answered only server errors for ${Math.round((Date.now() - this.#heldSince) / 60_000)} min; Google's status page says whether it is a known outage`,
        );
      }
      if (!this.#probeInFlight && Date.now() >= this.#nextProbeAt) {
        this.#probeInFlight = true;
        this.#probes++;
        return { probe: true };
      }
      await this.#waitForChange(stop);
    }
  }

  /**
   * The model answered (anything but a transient server failure). While it is held only the
   * probe's answer counts: an answer to a request sent before the outage says nothing about now.
   */
  answered(probe: boolean, sentAt: number): void {
    this.#everAnswered = true;
    if (this.#heldSince !== undefined && !probe) return;
    // An answer to a request sent before the latest failure was sent is older news than the failure.
    if (!probe && sentAt < this.#lastFailureSentAt) return;
    this.#failuresInRow = 0;
    if (this.#heldSince === undefined) return;
    this.#heldSince = undefined;
    this.#probeInFlight = false;
    this.#probeDelayMs = this.options.firstProbeDelayMs;
    this.#wakeAll();
  }

  /**
   * A transient failure (5xx, timeout, reset). Returns whether the model is held now, in which
   * case the caller waits at `enter` instead of spending one of its own attempts.
   */
  failed(probe: boolean, sentAt: number): boolean {
    this.#failuresInRow++;
    this.#lastFailureSentAt = Math.max(this.#lastFailureSentAt, sentAt);
    if (this.#heldSince === undefined && this.#failuresInRow >= this.options.threshold) {
      this.#heldSince = Date.now();
      this.#outages++;
      this.#scheduleProbe();
    } else if (probe) {
      this.#probeInFlight = false;
      this.#probeDelayMs = Math.min(this.options.maxProbeDelayMs, this.#probeDelayMs * 2);
      this.#scheduleProbe();
    }
    return this.#heldSince !== undefined;
  }

  state(): OutageState {
    return { held: this.held, heldForMs: this.#heldSince === undefined ? 0 : Date.now() - this.#heldSince, outages: this.#outages, probes: this.#probes };
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#wakeAll();
  }

  #scheduleProbe(): void {
    this.#nextProbeAt = Date.now() + this.#probeDelayMs;
    this.#wakeWhenProbeDue();
  }

  /**
   * Wakes the waiters once the probe is due by Date.now(), the clock `enter` judges it by. Node
   * fires timers by its monotonic clock, and about one in five fires a millisecond early by
   * Date.now(): woken then, every waiter would find the probe not yet due and sleep again with
   * nothing left to wake it. So an early timer is set again for the rest.
   */
  #wakeWhenProbeDue(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => (Date.now() < this.#nextProbeAt ? this.#wakeWhenProbeDue() : this.#wakeAll()), Math.max(1, this.#nextProbeAt - Date.now()));
  }

  #wakeAll(): void {
    const waiting = this.#wake;
    this.#wake = [];
    for (const wake of waiting) wake();
  }

  #waitForChange(stop: AbortSignal): Promise<void> {
    return raceAbort(new Promise<void>((resolve) => this.#wake.push(resolve)), stop, () => undefined);
  }
}
