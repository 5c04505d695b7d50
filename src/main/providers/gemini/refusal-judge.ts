import { RunAborted } from '../../errors.ts';

interface Refusal {
  readonly requests: number;
  readonly waiting: ReadonlyArray<{ readonly resolve: () => void; readonly reject: (error: RunAborted) => void }>;
}

/**
 * Tells a refusal about the request (a document Google cannot read: fail that file) from one about
 * the run (a setting or an endpoint every request gets refused for: stop before every file spends
 * a request on it). A 400 waits here for the verdict: the same message for `threshold` requests
 * to the model is run-wide, and every file waiting on it stays pending for the next run; an answer
 * from the same model, or `graceMs` without either, makes it the file's own failure.
 */
export class RefusalJudge {
  readonly #refusals = new Map<string, Refusal>();

  constructor(
    private readonly threshold: number,
    private readonly graceMs: number,
  ) {}

  /** Resolves when the refusal is the file's own; rejects with RunAborted when it holds for the run. */
  judge(model: string, message: string): Promise<void> {
    const key = `${model}\u0000${message}`;
    const seen = this.#refusals.get(key) ?? { requests: 0, waiting: [] };
    return new Promise<void>((resolve, reject) => {
      const refusal: Refusal = { requests: seen.requests + 1, waiting: [...seen.waiting, { resolve, reject }] };
      if (refusal.requests >= this.threshold) {
        const error = new RunAborted(
          'API_REFUSED',
          `${model} refused ${refusal.requests} files the same way: "${message}"; that is a setting or the endpoint, not the documents: fix it and run the same command again (nothing was marked failed)`,
        );
        this.#refusals.set(key, { requests: refusal.requests, waiting: [] });
        for (const waiter of refusal.waiting) waiter.reject(error);
        return;
      }
      this.#refusals.set(key, refusal);
      setTimeout(() => this.#release(key, resolve), this.graceMs).unref();
    });
  }

  /** The model answered a request: refusals waiting on it are about their own documents. */
  answered(model: string): void {
    for (const [key, refusal] of this.#refusals) {
      if (!key.startsWith(`${model}\u0000`) || refusal.waiting.length === 0) continue;
      this.#refusals.set(key, { requests: refusal.requests, waiting: [] });
      for (const waiter of refusal.waiting) waiter.resolve();
    }
  }

  #release(key: string, resolve: () => void): void {
    const refusal = this.#refusals.get(key);
    if (!refusal) return;
    this.#refusals.set(key, { requests: refusal.requests, waiting: refusal.waiting.filter((waiter) => waiter.resolve !== resolve) });
    resolve();
  }
}
