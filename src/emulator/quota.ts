import type { QuotaLimits } from './catalogue.ts';
import type { EmulatedClock } from './clock.ts';
import type { QuotaMetric } from './wire-errors.ts';

export type QuotaDecision = { readonly ok: true } | { readonly ok: false; readonly metric: QuotaMetric; readonly limit: number; readonly retryAfterMs: number };

interface Entry {
  readonly at: number;
  readonly tokens: number;
}

/**
 * Quotas for one (key, model): RPM and TPM over a sliding minute (shrunk by the time scale), and
 * RPD per Pacific calendar day, reset at midnight Pacific on the emulated clock as Google's are.
 * An over-quota request is refused with the exact time until enough usage ages out (the 429's
 * retryDelay), and refused requests use no quota.
 */
export class SlidingQuota {
  readonly #minute: Entry[] = [];
  #minuteTokens = 0;
  #day = '';
  #dayRequests = 0;

  constructor(
    private readonly limits: QuotaLimits,
    private readonly minuteMs: number,
    private readonly clock: EmulatedClock,
  ) {}

  tryAdmit(now: number, tokens: number): QuotaDecision {
    this.#expire(now);
    const { rpm, tpm, rpd } = this.limits;
    if (rpd !== undefined && this.#dayRequests >= rpd) {
      return { ok: false, metric: 'rpd', limit: rpd, retryAfterMs: this.clock.realMsToPacificMidnight(now) };
    }
    if (rpm !== undefined && this.#minute.length >= rpm) {
      return {
        ok: false,
        metric: 'rpm',
        limit: rpm,
        retryAfterMs: rpm === 0 ? this.clock.realMsToPacificMidnight(now) : this.#minute[this.#minute.length - rpm]!.at + this.minuteMs - now,
      };
    }
    if (tpm !== undefined && this.#minuteTokens + tokens > tpm) {
      return { ok: false, metric: 'tpm', limit: tpm, retryAfterMs: this.#tokensFreeAt(tokens, tpm) - now };
    }
    this.#minute.push({ at: now, tokens });
    this.#minuteTokens += tokens;
    this.#dayRequests++;
    return { ok: true };
  }

  #expire(now: number): void {
    while (this.#minute.length > 0 && this.#minute[0]!.at + this.minuteMs <= now) this.#minuteTokens -= this.#minute.shift()!.tokens;
    const day = this.clock.pacificDay(now);
    if (day !== this.#day) {
      this.#day = day;
      this.#dayRequests = 0;
    }
  }

  /** When enough tokens will have aged out for `tokens` more to fit (a request larger than the limit never fits: a minute). */
  #tokensFreeAt(tokens: number, tpm: number): number {
    let used = this.#minuteTokens;
    for (const entry of this.#minute) {
      used -= entry.tokens;
      if (used + tokens <= tpm) return entry.at + this.minuteMs;
    }
    return (this.#minute[this.#minute.length - 1]?.at ?? 0) + this.minuteMs;
  }
}
