import { type FileFailureCode, retriedByItself } from '../failure-codes.ts';
import type { PreparedFile } from '../../workers/protocol.ts';
import type { StepResult } from '../state/record.ts';

/** How a step (classify or extract) ended for one file. */
export type StepOutcome =
  | { readonly ok: true; readonly result: StepResult }
  | { readonly ok: false; readonly code: FileFailureCode; readonly message: string; readonly retryable: boolean; readonly usage?: StepResult['usage'] };

/** A step's failure, retryable as the failure table says for its code. */
export function stepFailure(code: FileFailureCode, message: string, usage?: StepResult['usage']): StepOutcome & { ok: false } {
  return { ok: false, code, message, retryable: retriedByItself(code), ...(usage ? { usage } : {}) };
}

/** What a provider needs from a prepared file. */
export type StepInput = Pick<PreparedFile, 'subset' | 'text' | 'hasTextLayer' | 'tokens' | 'windowPages' | 'rules' | 'einvoice'> & {
  /** A split's file may run past the pages shown: its last document ends with the file. */
  readonly filePages?: number;
};

/** Who answers a step, as the cache names it: each step's fingerprint (anything that changes the answer changes it). */
export interface StepFingerprints {
  readonly name: 'gemini' | 'offline';
  classifyFingerprint(): string;
  extractFingerprint(label: string): string;
  onePassFingerprint(): string;
  /** Where the documents of a file of many pages start and end: the page cues, and the model a file they are unsure of is shown to. */
  splitFingerprint(): string;
  /** A second extraction of a class, told the checks the first answer failed (Gemini only). */
  secondOpinionFingerprint?(label: string, failed: readonly string[]): string;
}

/** A source of answers: Gemini through the limiters, or the offline rules. */
export interface Provider extends StepFingerprints {
  classify(input: StepInput): Promise<StepOutcome>;
  extract(input: StepInput, label: string): Promise<StepOutcome>;
  /** The class and, for an extract class, its fields, from one question (`--passes 1`). */
  onePass(input: StepInput): Promise<StepOutcome>;
  /** The documents in a file's pages and each one's class (Gemini only; the offline rules go by the page cues). */
  split?(input: StepInput): Promise<StepOutcome>;
  /** The class's fields asked again on the second-opinion model, saying which checks the first answer failed. */
  secondOpinion?(input: StepInput, label: string, failed: readonly string[]): Promise<StepOutcome>;
  close(): Promise<void>;
}
