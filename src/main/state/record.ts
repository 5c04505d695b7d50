import type { FileFailureCode } from '../failure-codes.ts';
/**
 * A question docpool asks of a file: its class, then (for some classes) its fields — or both in
 * one question (`--passes 1`).
 */
export type Step = 'classify' | 'extract' | 'one-pass';

export interface TokenUsage {
  readonly input: number;
  readonly output: number;
  readonly thinking: number;
  readonly costUsd: number;
}

/** A committed answer for one step of one content hash. */
export interface StepResult {
  readonly step: Step;
  readonly source: 'gemini' | 'offline';
  readonly model: string;
  readonly label?: string;
  readonly confidence?: number;
  readonly fields?: Readonly<Record<string, unknown>>;
  readonly usage: TokenUsage;
  readonly at: number;
}

export const ZERO_USAGE: TokenUsage = { input: 0, output: 0, thinking: 0, costUsd: 0 };

export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return { input: a.input + b.input, output: a.output + b.output, thinking: a.thinking + b.thinking, costUsd: a.costUsd + b.costUsd };
}

/** One output line per input file (JSONL, or a flattened CSV row). */
export interface FileRecord {
  readonly path: string;
  readonly sha256: string | null;
  readonly bytes: number | null;
  readonly pages: number | null;
  readonly status: 'done' | 'failed';
  readonly class: string | null;
  readonly confidence: number | null;
  readonly fields: Readonly<Record<string, unknown>> | null;
  /** Where the answer came from: Gemini, or the offline rules (null for a failed file). */
  readonly source: 'gemini' | 'offline' | null;
  /** Answered from the cache: no request was made for this file (its content was answered before). */
  readonly cached: boolean;
  readonly models: { readonly classify?: string; readonly extract?: string };
  /** 1: class and fields came from one request; 2: classified, then extracted (absent in records made before one-pass existed). */
  readonly passes?: 1 | 2;
  /** What answering the file spent (0 for cache hits). */
  readonly usage: TokenUsage;
  /** `retryable`: whether a later run retries it by itself (else only with --retry-failed). */
  readonly error: { readonly code: FileFailureCode; readonly message: string; readonly retryable: boolean } | null;
  /** With --fallback offline: the API failure the offline answer stands in for. */
  readonly apiError?: { readonly code: FileFailureCode; readonly message: string };
  readonly ms: number;
}
