import type { PreparedFile } from '../../workers/protocol.ts';
import type { StageResult } from '../state/store.ts';

/** How a stage (classify or extract) ended for one file. */
export type StageOutcome =
  | { readonly ok: true; readonly result: StageResult }
  | { readonly ok: false; readonly code: string; readonly message: string; readonly retryable: boolean; readonly usage?: StageResult['usage'] };

/** What a provider needs from a prepared file. */
export type StageInput = Pick<PreparedFile, 'subset' | 'text' | 'hasTextLayer' | 'tokens' | 'windowPages'>;

/** A source of answers: Gemini through the limiters, or the offline rules. */
export interface Provider {
  readonly name: 'gemini' | 'offline';
  /** Cache fingerprint of each stage; anything that changes the answer changes it. */
  classifyFingerprint(): string;
  extractFingerprint(label: string): string;
  classify(input: StageInput): Promise<StageOutcome>;
  extract(input: StageInput, label: string): Promise<StageOutcome>;
  close(): Promise<void>;
}

/** The run cannot go on (invalid key, unknown model): stop at once, mark nothing failed. */
export class RunAborted extends Error {
  override readonly name = 'RunAborted';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Admission must stop (daily quota, budget) but in-flight work may finish. */
export class AdmissionStopped extends Error {
  override readonly name = 'AdmissionStopped';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const ZERO_USAGE: StageResult['usage'] = { input: 0, output: 0, thinking: 0, costUsd: 0 };
