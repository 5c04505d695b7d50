/**
 * The one way docpool waits on something it may have to stop waiting for: a request, a job, a
 * backoff, a pause. The work itself is not cancelled by this (whoever owns it cancels it); only the
 * wait ends.
 */

/**
 * What `work` gives, or what `onAbort` gives as soon as `signal` aborts. Once abandoned, the work's
 * own failure has no one left to tell: it is observed here so it is not an unhandled rejection.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined, onAbort: (reason: unknown) => T | Promise<T>): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => {}); // abandoned: see above
    return Promise.resolve().then(() => onAbort(signal.reason));
  }
  return new Promise<T>((resolve, reject) => {
    // The work's own outcome stays observed by the `then` below, whenever it comes.
    const abandon = () => {
      Promise.resolve()
        .then(() => onAbort(signal.reason))
        .then(resolve, reject);
    };
    signal.addEventListener('abort', abandon, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abandon));
  });
}

/** Rejects with the signal's reason (or an AbortError) as soon as it aborts. */
export function unlessAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  return raceAbort(work, signal, (reason) => Promise.reject(reason ?? new DOMException('stopped', 'AbortError')));
}

/** A backoff that ends early when `signal` aborts (the caller's next step then sees the stop). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const slept = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return raceAbort(slept, signal, () => undefined).finally(() => clearTimeout(timer));
}
