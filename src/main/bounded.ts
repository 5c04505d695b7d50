/**
 * Runs `work` over an async source with at most `limit` items in flight, handing each result to
 * `onResult` as soon as it is ready (no batch barrier: a slow item never holds up the others).
 * The source is pulled only when a slot is free, so nothing upstream is buffered.
 */
export async function forEachBounded<T, R>(
  source: AsyncIterable<T>,
  limit: number,
  work: (item: T) => Promise<R>,
  onResult: (result: R, item: T) => void,
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  for await (const item of source) {
    const task: Promise<void> = work(item).then((result) => {
      inFlight.delete(task);
      onResult(result, item);
    });
    inFlight.add(task);
    if (inFlight.size >= limit) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}
