import type { QuotaMetric } from './wire-errors.ts';

export interface QuotaLimits {
  readonly rpm?: number;
  readonly tpm?: number;
  readonly rpd?: number;
}

export type QuotaDecision = { readonly ok: true } | { readonly ok: false; readonly metric: QuotaMetric; readonly limit: number; readonly retryAfterMs: number };

interface Entry {
  readonly at: number;
  readonly tokens: number;
}

/**
 * Sliding-window quotas for one (key, model): RPM and TPM over a minute, RPD over a day, both
 * shrunk by the time scale. An over-quota request is refused with the exact time until enough
 * usage ages out of the window (the 429's retryDelay), and refused requests use no quota.
 */
export class SlidingQuota {
  readonly #minute: Entry[] = [];
  readonly #day: number[] = [];
  #minuteTokens = 0;

  constructor(
    private readonly limits: QuotaLimits,
    private readonly minuteMs: number,
    private readonly dayMs: number,
  ) {}

  tryAdmit(now: number, tokens: number): QuotaDecision {
    this.#expire(now);
    const { rpm, tpm, rpd } = this.limits;
    if (rpd !== undefined && this.#day.length >= rpd) {
      return { ok: false, metric: 'rpd', limit: rpd, retryAfterMs: this.#day[this.#day.length - rpd]! + this.dayMs - now };
    }
    if (rpm !== undefined && this.#minute.length >= rpm) {
      return { ok: false, metric: 'rpm', limit: rpm, retryAfterMs: this.#minute[this.#minute.length - rpm]!.at + this.minuteMs - now };
    }
    if (tpm !== undefined && this.#minuteTokens + tokens > tpm) {
      return { ok: false, metric: 'tpm', limit: tpm, retryAfterMs: this.#tokensFreeAt(tokens, tpm) - now };
    }
    this.#minute.push({ at: now, tokens });
    this.#minuteTokens += tokens;
    this.#day.push(now);
    return { ok: true };
  }

  #expire(now: number): void {
    while (this.#minute.length > 0 && this.#minute[0]!.at + this.minuteMs <= now) this.#minuteTokens -= this.#minute.shift()!.tokens;
    while (this.#day.length > 0 && this.#day[0]! + this.dayMs <= now) this.#day.shift();
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
