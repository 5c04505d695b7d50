/** The three designs docpool replaces (DESIGN §9), each over the same files with naiveProcess. */
import { naiveContext, type NaiveContext, naiveProcess } from './naive-file.ts';

export type Design = 'sequential' | 'batches of 10' | 'semaphore of 25';

/**
 * Runs a design over the files; with `untilMs` (a performance.now() time) no file is started
 * after it, so a design that would take an hour can be measured over its first minute.
 */
export async function runDesign(
  design: Design,
  files: readonly string[],
  baseUrl: string,
  retrySleepMs: number,
  untilMs = Infinity,
): Promise<NaiveContext['counters']> {
  const context = naiveContext(baseUrl, retrySleepMs);
  const open = () => performance.now() < untilMs;
  if (design === 'sequential') {
    for (const file of files) {
      if (!open()) break;
      await naiveProcess(file, context);
    }
  } else if (design === 'batches of 10') {
    // Every batch waits for its slowest member before the next starts.
    for (let start = 0; start < files.length && open(); start += 10)
      await Promise.all(files.slice(start, start + 10).map((file) => naiveProcess(file, context)));
  } else {
    // A hand-rolled semaphore: 25 files at a time, refills as each finishes.
    let next = 0;
    const lane = async () => {
      while (next < files.length && open()) await naiveProcess(files[next++]!, context);
    };
    await Promise.all(Array.from({ length: 25 }, lane));
  }
  return context.counters;
}
