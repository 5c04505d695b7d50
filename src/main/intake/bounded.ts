/**
 * Runs `work` over an async source with at most `limit` items in flight, handing each result to
 * `onResult` as soon as it is ready (no batch barrier: a slow item never holds up the others).
 * The source is pulled only when a slot is free, so nothing upstream is buffered. If `work` or
 * `onResult` throws, no new item is pulled, the items in flight are awaited, and the first error
 * is rethrown.
 */
export async function forEachBounded<T, R>(
  source: AsyncIterable<T>,
  limit: number,
  work: (item: T) => Promise<R>,
  onResult: (result: R, item: T) => void | Promise<void>,
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const iterator = source[Symbol.asyncIterator]();
  try {
    while (!failure) {
      const next = await iterator.next();
      if (next.done) break;
      const item = next.value;
      const task: Promise<void> = work(item)
        .then((result) => onResult(result, item))
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
      if (inFlight.size >= limit) await Promise.race(inFlight);
    }
  } finally {
    if (failure) await iterator.return?.();
    await Promise.all(inFlight);
  }
  if (failure) throw failure.error;
}
