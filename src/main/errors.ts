import type { RunStopCode } from './failure-codes.ts';
/**
 * Errors the user can fix, as opposed to bugs. The CLI prints a UsageError's message as is and
 * exits 2; anything else is a bug and is reported with its stack.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode: number = 2;
}

/** The state folder is in use by another run: try again later, or use another folder. */
export class StateBusy extends UsageError {
  override readonly exitCode = 75;
}

/**
 * The run cannot start as asked: a model Google shut down or does not serve, a key it refuses.
 * Found before any file is read, so nothing was marked or sent (exit 3, like a run stopped at once).
 */
export class RunRefused extends UsageError {
  override readonly exitCode = 3;
}

/** A URL-like text with whatever stands between "//" and the last "@" masked: safe to print even when it does not parse. */
export function withoutCredentials(text: string): string {
  return text.replace(/\/\/.*@/, '//***@');
}

/** Names the option, what was expected and what came in, as every config message should. */
export function invalidOption(option: string, expected: string, given: unknown): UsageError {
  return new UsageError(`${option}: expected ${expected}, got ${JSON.stringify(given)}`);
}

/** The run cannot go on (invalid key, unknown model): stop at once, mark nothing failed. */
export class RunAborted extends Error {
  override readonly name = 'RunAborted';
  constructor(
    readonly code: RunStopCode,
    message: string,
  ) {
    super(message);
  }
}

/** Admission must stop (daily quota, budget) but in-flight work may finish. */
export class AdmissionStopped extends Error {
  override readonly name = 'AdmissionStopped';
  constructor(
    readonly code: RunStopCode,
    message: string,
  ) {
    super(message);
  }
}

export const EXIT = {
  ok: 0,
  /** The run finished but some files failed (their records say why). */
  someFailed: 1,
  usage: 2,
  /** The run stopped at once: invalid key, unknown model. Nothing was marked failed. */
  aborted: 3,
  /** Admission stopped (daily quota, budget); finished work is saved, re-run to go on. */
  stopped: 4,
  bug: 70,
  /** The state folder is in use by another run (EX_TEMPFAIL: try again later). */
  busy: 75,
  /** Stopped by Ctrl-C / SIGTERM after draining. */
  interrupted: 130,
} as const;
