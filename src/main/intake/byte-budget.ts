/**
 * Bytes of PDF held for files in flight, bounded: with Flex, thousands of requests wait minutes
 * each, and the window that keeps the quota busy would otherwise hold thousands of page subsets.
 * A file reserves its size before it is read, then keeps what its prepared pages really take.
 * Waiting files are let in first come, first served, as room frees: each release admits only
 * those that now fit, so thousands of waiters cost nothing per release.
 */
export class ByteBudget {
  #used = 0;
  readonly #waiting: Array<{ readonly bytes: number; readonly admit: () => void }> = [];

  constructor(readonly limit: number) {}

  /** Waits until `bytes` fit (a file larger than the whole budget waits until it is alone). */
  async take(bytes: number): Promise<BytesHeld> {
    let held = Math.min(Math.max(0, bytes), this.limit);
    if (this.#waiting.length === 0 && this.#fits(held)) this.#used += held;
    else await new Promise<void>((admit) => this.#waiting.push({ bytes: held, admit }));
    return {
      resize: (actual) => {
        const next = Math.min(Math.max(0, actual), this.limit);
        this.#change(next - held);
        held = next;
      },
      release: () => {
        this.#change(-held);
        held = 0;
      },
    };
  }

  get used(): number {
    return this.#used;
  }

  #fits(bytes: number): boolean {
    return this.#used === 0 || this.#used + bytes <= this.limit;
  }

  #change(delta: number): void {
    this.#used += delta;
    while (delta < 0 && this.#waiting.length > 0 && this.#fits(this.#waiting[0]!.bytes)) {
      const next = this.#waiting.shift()!;
      this.#used += next.bytes;
      next.admit();
    }
  }
}

export interface BytesHeld {
  /** The file's bytes are now known: hold exactly these. */
  resize(bytes: number): void;
  release(): void;
}
