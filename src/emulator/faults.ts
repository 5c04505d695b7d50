import { type EmulatorConfig, FAULT_KINDS, type FaultKind, type ScriptedFault } from './config.ts';
import { Prng } from './prng.ts';

interface ActiveOutage {
  readonly model: string | undefined;
  readonly status: 503 | 500;
  readonly from: number;
  readonly until: number;
}

/**
 * Decides which fault, if any, a request gets: an outage in force for its model first (it holds
 * for its whole duration, like a real one), then scripted faults ("the next 20 requests to
 * gemini-3.8-flash get 503"), then independent draws at the configured rates from a seeded PRNG.
 */
export class FaultPlan {
  #prng: Prng;
  #scripted: ScriptedFault[] = [];
  #outages: ActiveOutage[] = [];

  constructor(private config: EmulatorConfig) {
    this.#prng = new Prng(config.seed);
    this.reconfigure(config);
  }

  /** A new config: scripted faults start over; outages start counting from now when the config sets them. */
  reconfigure(config: EmulatorConfig, restartOutages = true, now = Date.now()): void {
    this.config = config;
    this.#scripted = config.scriptedFaults.map((fault) => ({ ...fault }));
    if (!restartOutages) return;
    const scale = config.timeScale * 1000;
    this.#outages = config.outages.map((outage) => ({
      model: outage.model,
      status: outage.status,
      from: now + outage.startsInSeconds * scale,
      until: now + (outage.startsInSeconds + outage.seconds) * scale,
    }));
  }

  /** The status every request to `model` gets now because of an outage, if one is in force. */
  outage(model: string, now = Date.now()): 503 | 500 | undefined {
    return this.#outages.find((outage) => (outage.model === undefined || outage.model === model) && now >= outage.from && now < outage.until)?.status;
  }

  next(model: string): FaultKind | undefined {
    const scripted = this.#scripted.find((fault) => fault.model === undefined || fault.model === model);
    if (scripted) {
      scripted.count--;
      if (scripted.count === 0) this.#scripted.splice(this.#scripted.indexOf(scripted), 1);
      return scripted.fault;
    }
    // One uniform draw split across the kinds keeps each kind's rate exact and the kinds exclusive.
    let roll = this.#prng.next();
    for (const kind of FAULT_KINDS) {
      const rate = this.config.faultRates[kind] ?? 0;
      if (roll < rate) return kind;
      roll -= rate;
    }
    return undefined;
  }

  /** Uniform draw for latency sampling, from the same seeded stream. */
  uniform(): number {
    return this.#prng.next();
  }
}
