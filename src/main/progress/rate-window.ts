/**
 * Files and pages finished per second over the last minute: the "now" rates, the sparkline and
 * an ETA from a moving window rather than the run average (which lags after a slow start or a
 * quota pause).
 */
export class RateWindow {
  readonly #seconds: number;
  readonly #files: number[];
  readonly #pages: number[];
  #epoch: number;

  constructor(seconds = 60, now = Date.now()) {
    this.#seconds = seconds;
    this.#files = new Array<number>(seconds).fill(0);
    this.#pages = new Array<number>(seconds).fill(0);
    this.#epoch = Math.floor(now / 1000);
  }

  record(pages: number, now = Date.now()): void {
    const slot = this.#advance(now);
    this.#files[slot]!++;
    this.#pages[slot]! += pages;
  }

  /** Per-second file counts, oldest first, for the sparkline. */
  filesPerSecondSeries(now = Date.now()): number[] {
    const slot = this.#advance(now);
    return Array.from({ length: this.#seconds }, (_, offset) => this.#files[(slot + 1 + offset) % this.#seconds]!);
  }

  /** Average over the last `span` whole seconds (the current, partial second left out). */
  rate(span: number, now = Date.now()): { files: number; pages: number } {
    const slot = this.#advance(now);
    let files = 0;
    let pages = 0;
    for (let back = 1; back <= span; back++) {
      const index = (slot - back + this.#seconds) % this.#seconds;
      files += this.#files[index]!;
      pages += this.#pages[index]!;
    }
    return { files: files / span, pages: pages / span };
  }

  /** Moves the ring to `now`, clearing the seconds that passed with nothing recorded. */
  #advance(now: number): number {
    const second = Math.floor(now / 1000);
    const steps = Math.min(second - this.#epoch, this.#seconds);
    for (let step = 1; step <= steps; step++) {
      const index = (this.#epoch + step) % this.#seconds;
      this.#files[index] = 0;
      this.#pages[index] = 0;
    }
    if (second > this.#epoch) this.#epoch = second;
    return this.#epoch % this.#seconds;
  }
}
