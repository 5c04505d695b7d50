/**
 * The emulator's own clock: emulated time runs 1/timeScale times faster than real time from a
 * start instant, so a test can live through a day's quota in seconds and still see the daily
 * reset where Google puts it: midnight Pacific time (rate-limits page: "Requests per day (RPD)
 * quotas reset at midnight Pacific time").
 */
export class EmulatedClock {
  readonly #realStart = Date.now();

  constructor(
    private readonly timeScale: number,
    /** Emulated instant at start, ms since the epoch. Default: now. */
    private readonly emulatedStart = Date.now(),
  ) {}

  /** Emulated ms since the epoch for a real instant. */
  emulated(realNow: number): number {
    return this.emulatedStart + (realNow - this.#realStart) / this.timeScale;
  }

  /** Real ms from `realNow` until the next midnight in Los Angeles, on the emulated clock. */
  realMsToPacificMidnight(realNow: number): number {
    const now = this.emulated(realNow);
    return (nextPacificMidnight(now) - now) * this.timeScale;
  }

  /** The Pacific calendar day (YYYY-MM-DD) an instant falls in, on the emulated clock. */
  pacificDay(realNow: number): string {
    return pacificDate(this.emulated(realNow));
  }
}

const PACIFIC = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'America/Los_Angeles',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

function pacificParts(at: number): Record<string, number> {
  return Object.fromEntries(
    PACIFIC.formatToParts(at)
      .filter((part) => part.type !== 'literal')
      .map((part) => [part.type, Number(part.value)]),
  );
}

function pacificDate(at: number): string {
  const parts = pacificParts(at);
  return `${parts.year}-${String(parts.month).padStart(2, '0')}-${String(parts.day).padStart(2, '0')}`;
}

/** The next instant whose Pacific wall clock reads 00:00 (a 23- or 25-hour day is corrected by an hour). */
function nextPacificMidnight(at: number): number {
  const parts = pacificParts(at);
  const intoDay = ((parts.hour! * 60 + parts.minute!) * 60 + parts.second!) * 1000 + (at % 1000);
  const guess = at - intoDay + 24 * HOUR_MS;
  const hour = pacificParts(guess).hour!;
  if (hour === 23) return guess + HOUR_MS;
  if (hour === 1) return guess - HOUR_MS;
  return guess;
}

const HOUR_MS = 3_600_000;
