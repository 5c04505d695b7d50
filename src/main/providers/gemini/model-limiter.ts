import { unlessAborted } from '../../abortable.ts';
import Bottleneck from 'bottleneck';
import { ModelHeld, OutageGuard, type OutageGuardOptions, type OutageState } from './outage-guard.ts';

export interface ModelLimiterOptions {
  readonly model: string;
  /** Requests per quota window; undefined when unknown (found at run time: slow start, then Google's 429 states it). */
  readonly rpm?: number;
  /** Input tokens per quota window; undefined when unknown, likewise. */
  readonly tpm?: number;
  /** Upper bound on requests in flight; AIMD moves below it. */
  readonly concurrency: number;
  /** The ceiling to adopt once a requests-per-window limit is learned; absent when --concurrency fixed it. */
  readonly concurrencyFor?: (rpm: number) => number;
  /** Length of the quota window: 60 000 ms against Google, shorter against a time-scaled emulator. */
  readonly windowMs: number;
  /** How a model-wide outage is recognised and ridden out (see OutageGuard). */
  readonly outage: Omit<OutageGuardOptions, 'model'>;
  /** The same quota held with other processes (a queue's workers): each send is admitted there too. */
  readonly shared?: SharedQuota;
}

/**
 * A quota several processes share (docpool worker's GlobalQuota in Redis): a request is admitted
 * there before it is sent, its tokens corrected once known, and a 429 pauses every process.
 */
export interface SharedQuota {
  acquire(tokens: number, stop?: AbortSignal): Promise<SharedTicket>;
  reconcile(ticket: SharedTicket, actualTokens: number): void;
  pause(ms: number): void;
}

export interface SharedTicket {
  readonly id: string;
  readonly model: string;
  /** It waited on a pause another process's 429 set: slow down here too (AIMD across processes). */
  readonly pausedByOthers: boolean;
}

export interface ModelLimiterStats {
  readonly model: string;
  readonly inFlight: number;
  readonly concurrency: number;
  readonly maxConcurrency: number;
  /** The limits paced against; undefined while not known (not given, not published, not yet stated by a 429). */
  readonly rpm: number | undefined;
  readonly tpm: number | undefined;
  /** Limits taken from Google's 429s during this run (QuotaFailure.quotaValue). */
  readonly learned: readonly QuotaMetric[];
  /** Requests and estimated tokens sent in the last window. */
  readonly requestsInWindow: number;
  readonly tokensInWindow: number;
  readonly rateLimited: number;
  /** Requests sent since the limiter was made (every attempt counts). */
  readonly sent: number;
  /** Of them, those answered (or failed) by now: sent minus those still in flight. */
  readonly settled: number;
  /** Requests the server shed for want of capacity (retried, not failed). */
  readonly shed: number;
  readonly retries: number;
  readonly pausedForMs: number;
  readonly outage: OutageState;
  /** Request latency over the last attempts, ms (undefined before the first answer). */
  readonly latencyP50?: number;
  readonly latencyP95?: number;
}

/** One request's hold on the token budget: its estimate until the server says what it cost. */
export interface SentRequest {
  /** When it was sent (Date.now()). */
  readonly at: number;
  tokens: number;
  released: boolean;
  /** Its place in a shared quota, when there is one. */
  ticket?: SharedTicket;
}

/** The per-window limits a 429 can state. */
export type QuotaMetric = 'rpm' | 'tpm';

/** A limit Google stated in a 429 (QuotaFailure violation: its quotaId's window and quotaValue). */
export interface StatedQuota {
  readonly metric: QuotaMetric;
  readonly value: number;
}

/** A reservoir that never binds: the limit is not known, so only concurrency (and the server's 429s) pace. */
export const UNPACED = 1e12;

/** Requests in flight while a quota is unknown, before the first round of answers: a safe start that doubles per round (slow start). */
const SLOW_START_CONCURRENCY = 8;
/**
 * Slow start also doubles on time, every this share of a window while every slot is busy: a Flex
 * answer takes minutes, so rounds of answers alone would take an hour to find the quota. A quota
 * 429 comes back at once, so the step past the limit is seen within a round trip.
 */
const SLOW_START_STEP = 1 / 6;

/** Attempts kept for the latency percentiles. */
const LATENCY_SAMPLES = 256;

/**
 * Slack added to each window so a request that reaches the server late (connection queueing, a
 * busy event loop on either side) has aged out there before its unit is reused here.
 */
const WINDOW_MARGIN = 0.02;
const MIN_MARGIN_MS = 100;
/**
 * A quota window as a client must pace it: the window and the margin by which a request may reach
 * the server later than it was let go (the server counts arrivals; the limiter counts sends).
 */
export function pacedWindowMs(windowMs: number): number {
  return windowMs + Math.max(windowMs * WINDOW_MARGIN, MIN_MARGIN_MS);
}

/** The margin grows on every 429 (the skew is larger than assumed) up to this share of the window. */
const MAX_MARGIN = 0.1;

/**
 * One model's limiter set (DESIGN §4, §12): a tokens-per-window Bottleneck (weight = estimated
 * input tokens) with a requests-per-window Bottleneck scheduled inside it (weight 1, holding the
 * concurrency limit). Bottleneck's own reservoir refresh is a fixed window, which can let 2 × RPM
 * through in one sliding minute; here each request gives its unit back exactly one window after
 * it was sent, so no sliding window ever holds more than the quota — the way the server counts.
 */
export class ModelLimiter {
  readonly model: string;
  /** Holds the model while it answers nothing but server errors. */
  readonly outage: OutageGuard;
  readonly #tokens: Bottleneck;
  readonly #requests: Bottleneck;
  readonly #options: ModelLimiterOptions;
  readonly #releases = new Set<NodeJS.Timeout>();
  #concurrency: number;
  #maxConcurrency: number;
  #rpm: number | undefined;
  #tpm: number | undefined;
  readonly #learned = new Set<QuotaMetric>();
  /** Doubling per round of answers until the first 429 (while a limit is unknown); additive after. */
  #slowStart: boolean;
  /** Set when requests must stop for good (a spend cap, a day's quota): nothing more is sent. */
  #closedBy: Error | undefined;
  /** Slow start's clock: doubles a saturated model's concurrency each step until the first 429. */
  readonly #growth: NodeJS.Timeout | undefined;
  #successesSinceChange = 0;
  #lastDecrease = 0;
  #pausedUntil = 0;
  #inFlight = 0;
  #requestsInWindow = 0;
  #tokensInWindow = 0;
  #rateLimited = 0;
  #sentTotal = 0;
  #settled = 0;
  #shed = 0;
  #retries = 0;
  #marginMs: number;
  readonly #latencies: number[] = [];
  #latencyNext = 0;

  constructor(options: ModelLimiterOptions) {
    this.model = options.model;
    this.#options = options;
    this.outage = new OutageGuard({ model: options.model, ...options.outage });
    this.#rpm = options.rpm;
    this.#tpm = options.tpm;
    this.#slowStart = options.rpm === undefined || options.tpm === undefined;
    this.#maxConcurrency = options.concurrency;
    this.#concurrency = this.#slowStart ? Math.min(SLOW_START_CONCURRENCY, options.concurrency) : options.concurrency;
    this.#marginMs = pacedWindowMs(options.windowMs) - options.windowMs;
    this.#tokens = new Bottleneck({ reservoir: options.tpm ?? UNPACED, maxConcurrent: null });
    this.#requests = new Bottleneck({ reservoir: options.rpm ?? UNPACED, maxConcurrent: this.#concurrency });
    if (this.#slowStart) {
      this.#growth = setInterval(() => {
        if (!this.#slowStart) return clearInterval(this.#growth);
        if (this.#inFlight >= this.#concurrency && this.#concurrency < this.#maxConcurrency)
          this.#setConcurrency(Math.min(this.#maxConcurrency, this.#concurrency * 2));
      }, options.windowMs * SLOW_START_STEP);
      this.#growth.unref();
    }
  }

  /**
   * Runs one API attempt under the limits. A job heavier than the whole token budget would never
   * run and never fail in Bottleneck (DESIGN §12), so its weight is clamped to the budget: it then
   * waits for an empty window, which is the best that can be done for it. While the model is held
   * (an outage), anything but the probe is turned back with ModelHeld before it is sent.
   */
  async schedule<T>(
    estimatedTokens: number,
    attempt: (sent: SentRequest) => Promise<T>,
    { probe = false, holdable = true, stop }: { probe?: boolean; holdable?: boolean; stop?: AbortSignal } = {},
  ): Promise<T> {
    if (this.#closedBy) throw this.#closedBy;
    const weight = Math.max(1, Math.min(Math.ceil(estimatedTokens), this.#tpm ?? UNPACED));
    await unlessAborted(this.#waitWhilePaused(), stop);
    const queued = this.#tokens.schedule({ weight }, () =>
      this.#requests.schedule({ weight: 1 }, async () => {
        await this.#waitWhilePaused();
        // Dequeued after the run was told to stop now, or queued before the model was held (only
        // the probe may go out now): never sent. Bottleneck has taken its units from both
        // reservoirs on dequeue; nothing would give them back, so every outage would shrink the
        // quota for the rest of the run, and enough of them would leave none at all.
        const unsent =
          this.#closedBy ??
          (stop?.aborted ? (stop.reason ?? new DOMException('stopped', 'AbortError')) : this.outage.held && !probe && holdable ? new ModelHeld() : undefined);
        if (unsent) {
          void this.#requests.incrementReservoir(1);
          void this.#tokens.incrementReservoir(weight);
          throw unsent;
        }
        const ticket = await this.#admitShared(weight, stop);
        const sent = this.#sent(weight);
        if (ticket) sent.ticket = ticket;
        this.#inFlight++;
        const started = performance.now();
        try {
          return await attempt(sent);
        } finally {
          this.#inFlight--;
          this.#settled++;
          this.#latencies[this.#latencyNext] = performance.now() - started;
          this.#latencyNext = (this.#latencyNext + 1) % LATENCY_SAMPLES;
        }
      }),
    );
    // A caller waiting in the queue (for its turn in the quota) stops waiting when the run stops now.
    return unlessAborted(queued, stop);
  }

  /**
   * A 429: pause the model for the server's delay instead of letting every caller hammer it. When
   * it states a limit docpool did not know (or knew wrong), pace by that from now on: the one 429
   * was the price of learning it. Otherwise the pacing was off: widen the margin, halve concurrency.
   */
  onRateLimited(retryAfterMs: number | undefined, stated: readonly StatedQuota[] = []): void {
    this.#rateLimited++;
    this.#slowStart = false;
    const learned = stated.filter((quota) => this.#adopt(quota)).length > 0;
    const now = Date.now();
    const pause = retryAfterMs ?? this.#options.windowMs / 12;
    this.#pausedUntil = Math.max(this.#pausedUntil, now + pause);
    this.#options.shared?.pause(pause);
    if (learned) {
      if (this.#rpm !== undefined && this.#options.concurrencyFor) this.#maxConcurrency = this.#options.concurrencyFor(this.#rpm);
      this.#setConcurrency(this.#maxConcurrency);
      return;
    }
    // A refusal while pacing means requests reach the server later than assumed: widen the margin.
    this.#marginMs = Math.min(this.#options.windowMs * MAX_MARGIN, this.#marginMs * 1.5);
    this.#decrease(now);
  }

  /**
   * Nothing more is sent, ever: a spend cap or a day's quota. Requests waiting in the queue are
   * turned back unsent with `reason` (their reservoir units given back), as are any scheduled later.
   */
  close(reason: Error): void {
    this.#closedBy ??= reason;
  }

  /** Input tokens per window paced against; undefined while not known. */
  get tokensPerWindow(): number | undefined {
    return this.#tpm;
  }

  /** Paces by a stated limit from now on; true when it changed what docpool paced against. */
  #adopt({ metric, value }: StatedQuota): boolean {
    const current = metric === 'rpm' ? this.#rpm : this.#tpm;
    if (current === value || value <= 0) return false;
    // The reservoir holds the limit less what the window has used: move it by the change in the limit.
    const delta = value - (current ?? UNPACED);
    if (metric === 'rpm') {
      this.#rpm = value;
      void this.#requests.incrementReservoir(delta);
    } else {
      this.#tpm = value;
      void this.#tokens.incrementReservoir(delta);
    }
    this.#learned.add(metric);
    return true;
  }

  /** Multiplicative decrease, at most once per half window: one burst of 429s is one signal. */
  #decrease(now: number): void {
    if (now - this.#lastDecrease <= this.#options.windowMs / 2) return;
    this.#lastDecrease = now;
    this.#setConcurrency(Math.max(1, Math.floor(this.#concurrency / 2)));
  }

  /**
   * Admission in the shared quota, holding this limiter's slot meanwhile. A request stopped while it
   * waits there was never sent: its local units go back, as for any request turned back unsent.
   */
  async #admitShared(weight: number, stop: AbortSignal | undefined): Promise<SharedTicket | undefined> {
    if (!this.#options.shared) return undefined;
    try {
      const ticket = await this.#options.shared.acquire(weight, stop);
      if (ticket.pausedByOthers) this.#decrease(Date.now());
      return ticket;
    } catch (error) {
      void this.#requests.incrementReservoir(1);
      void this.#tokens.incrementReservoir(weight);
      throw error;
    }
  }

  onShed(): void {
    this.#shed++;
    this.#retries++;
  }

  retried(): void {
    this.#retries++;
  }

  /** After a full round of successes at the current level: one more slot (additive), or twice as many in slow start. */
  onSuccess(): void {
    if (this.#concurrency >= this.#maxConcurrency) return;
    this.#successesSinceChange++;
    if (this.#successesSinceChange >= this.#concurrency)
      this.#setConcurrency(Math.min(this.#maxConcurrency, this.#slowStart ? this.#concurrency * 2 : this.#concurrency + 1));
  }

  /**
   * Corrects the token budget once the server has said what a request really cost
   * (usageMetadata.promptTokenCount). The request holds its actual tokens from now until one
   * window after it was sent, when its release returns exactly what it holds: estimates off by
   * any factor, either way, never let a sliding window hold more than the quota.
   */
  reconcile(sent: SentRequest, actualTokens: number): void {
    const actual = Math.min(Math.max(0, Math.ceil(actualTokens)), this.#tpm ?? UNPACED);
    const delta = actual - sent.tokens;
    if (sent.ticket) this.#options.shared?.reconcile(sent.ticket, actual);
    if (delta === 0 || sent.released) return;
    sent.tokens = actual;
    this.#tokensInWindow += delta;
    void this.#tokens.incrementReservoir(-delta);
  }

  /** The dashboard's +/- keys: move the ceiling (and the current level with it). */
  setMaxConcurrency(value: number): void {
    this.#maxConcurrency = Math.max(1, Math.round(value));
    this.#setConcurrency(Math.min(this.#concurrency, this.#maxConcurrency) || 1);
  }

  stats(): ModelLimiterStats {
    return {
      model: this.model,
      inFlight: this.#inFlight,
      concurrency: this.#concurrency,
      maxConcurrency: this.#maxConcurrency,
      rpm: this.#rpm,
      tpm: this.#tpm,
      learned: [...this.#learned],
      requestsInWindow: this.#requestsInWindow,
      tokensInWindow: this.#tokensInWindow,
      rateLimited: this.#rateLimited,
      sent: this.#sentTotal,
      settled: this.#settled,
      shed: this.#shed,
      retries: this.#retries,
      pausedForMs: Math.max(0, this.#pausedUntil - Date.now()),
      outage: this.outage.state(),
      ...percentiles(this.#latencies),
    };
  }

  /** Stops the release timers; pending jobs are dropped (used when a run ends). */
  async stop(): Promise<void> {
    clearInterval(this.#growth);
    this.outage.stop();
    for (const timer of this.#releases) clearTimeout(timer);
    this.#releases.clear();
    // Bottleneck rejects a second stop(); a limiter stopped twice is stopped.
    await Promise.all([this.#requests.stop({ dropWaitingJobs: true }), this.#tokens.stop({ dropWaitingJobs: true })]).catch(() => {});
  }

  #sent(weight: number): SentRequest {
    const sent: SentRequest = { at: Date.now(), tokens: weight, released: false };
    this.#requestsInWindow++;
    this.#sentTotal++;
    this.#tokensInWindow += weight;
    this.#later(() => {
      sent.released = true;
      this.#requestsInWindow--;
      this.#tokensInWindow -= sent.tokens;
      void this.#requests.incrementReservoir(1);
      void this.#tokens.incrementReservoir(sent.tokens);
    });
    return sent;
  }

  /** Runs `release` one quota window (plus margin) from now. */
  #later(release: () => void): void {
    const timer = setTimeout(() => {
      this.#releases.delete(timer);
      release();
    }, this.#options.windowMs + this.#marginMs);
    this.#releases.add(timer);
  }

  #setConcurrency(value: number): void {
    this.#concurrency = value;
    this.#successesSinceChange = 0;
    this.#requests.updateSettings({ maxConcurrent: value });
  }

  async #waitWhilePaused(): Promise<void> {
    for (let wait = this.#pausedUntil - Date.now(); wait > 0; wait = this.#pausedUntil - Date.now()) {
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

function percentiles(samples: readonly number[]): { latencyP50?: number; latencyP95?: number } {
  if (samples.length === 0) return {};
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  return { latencyP50: at(0.5), latencyP95: at(0.95) };
}
