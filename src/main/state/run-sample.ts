import { addUsage, type Step, type TokenUsage } from './record.ts';

/** What one step on one model has cost so far in an attempt: every answer the API sent, retries included. */
export interface StepSpend extends TokenUsage {
  readonly step: Step;
  readonly model: string;
  /** Answers received (a retried request counts each answer it paid for). */
  readonly answers: number;
}

/** Adds `entry` to the totals of its step and model (answer by answer in a run, attempt by attempt in a report). */
export function addSpend(totals: Map<string, StepSpend>, entry: StepSpend): void {
  const key = `${entry.step}\u0000${entry.model}`;
  const sofar = totals.get(key);
  totals.set(key, sofar ? { step: entry.step, model: entry.model, answers: sofar.answers + entry.answers, ...addUsage(sofar, entry) } : entry);
}

/** One model's request counters so far in an attempt, and the quota it was paced against. */
export interface ModelSample {
  readonly model: string;
  readonly sent: number;
  /** Of them, answered or failed by the sample (absent in samples made before it was kept). */
  readonly settled?: number;
  readonly rateLimited: number;
  /** Requests allowed per quota window; absent while it was not known (learned from Google's first 429). */
  readonly rpm?: number;
}

/**
 * The run seen every few seconds (never per file): the report's charts are drawn from these.
 * Counters are cumulative since the attempt started, so a lost sample loses no total.
 */
export interface RunSample {
  /** When taken (ms since the epoch). */
  readonly at: number;
  /** The attempt it belongs to: the start of `docpool run` (ms since the epoch). */
  readonly attemptStartedAt: number;
  readonly finished: number;
  readonly done: number;
  readonly cached: number;
  readonly failed: number;
  readonly costUsd: number;
  readonly models: readonly ModelSample[];
  readonly spend: readonly StepSpend[];
}

/** The settings a run was made with, for the report (the run id already pins what changes an answer). */
export interface RunSettings {
  readonly provider: 'gemini' | 'offline';
  readonly profile: string;
  readonly classifyModel: string;
  readonly extractModel: string;
  readonly pages: number;
  readonly inputMode: string;
  /** Requests per file: "2", "1" or "auto". */
  readonly passes?: string;
  /** The quota window the limiters paced against, ms (60,000 against Google). */
  readonly quotaWindowMs: number;
}
