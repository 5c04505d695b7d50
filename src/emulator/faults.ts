import { Rng } from '../corpus/rng.ts';
import { type EmulatorConfig, FAULT_KINDS, type FaultKind, type ScriptedFault } from './config.ts';

/**
 * Decides which fault, if any, a request gets: scripted faults first ("the next 20 requests to
 * gemini-2.5-pro get 503"), then independent draws at the configured rates from a seeded RNG.
 */
export class FaultPlan {
  #rng: Rng;
  #scripted: ScriptedFault[];

  constructor(private config: EmulatorConfig) {
    this.#rng = new Rng(config.seed);
    this.#scripted = config.scriptedFaults.map((fault) => ({ ...fault }));
  }

  reconfigure(config: EmulatorConfig): void {
    this.config = config;
    this.#scripted = config.scriptedFaults.map((fault) => ({ ...fault }));
  }

  next(model: string): FaultKind | undefined {
    const scripted = this.#scripted.find((fault) => fault.model === undefined || fault.model === model);
    if (scripted) {
      scripted.count--;
      if (scripted.count === 0) this.#scripted.splice(this.#scripted.indexOf(scripted), 1);
      return scripted.fault;
    }
    // One uniform draw split across the kinds keeps each kind's rate exact and the kinds exclusive.
    let roll = this.#rng.next();
    for (const kind of FAULT_KINDS) {
      const rate = this.config.faultRates[kind] ?? 0;
      if (roll < rate) return kind;
      roll -= rate;
    }
    return undefined;
  }

  /** Uniform draw for latency sampling, from the same seeded stream. */
  uniform(): number {
    return this.#rng.next();
  }
}
