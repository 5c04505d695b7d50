/** One failure code's count, whether it is retried by itself, and the first few files that had it. */
export interface FailureEntry {
  readonly count: number;
  readonly retryable: boolean;
  readonly examples: ReadonlyArray<{ readonly path: string; readonly message: string }>;
}

/**
 * Failures counted by code, with a few examples each: what the run summary, `status` and
 * `estimate` all report. Bounded: a million failed files keep three examples per code.
 */
export class FailureTally {
  readonly #byCode = new Map<string, { count: number; retryable: boolean; examples: Array<{ path: string; message: string }> }>();

  constructor(private readonly examplesPerCode = 3) {}

  add(code: string, path: string, message: string, retryable = false): void {
    let entry = this.#byCode.get(code);
    if (!entry) this.#byCode.set(code, (entry = { count: 0, retryable, examples: [] }));
    entry.count++;
    if (entry.examples.length < this.examplesPerCode) entry.examples.push({ path, message });
  }

  /** Codes with their entries, the most frequent first. */
  entries(): Array<[string, FailureEntry]> {
    return [...this.#byCode]
      .map(([code, entry]): [string, FailureEntry] => [code, { ...entry, examples: [...entry.examples] }])
      .sort((a, b) => b[1].count - a[1].count);
  }
}
