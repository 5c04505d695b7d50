/**
 * Bytes of PDF held for files in flight, bounded: with Flex, thousands of requests wait minutes
 * each, and the window that keeps the quota busy would otherwise hold thousands of page subsets.
 * A file reserves its size before it is read, then keeps what its prepared pages really take.
 */
export class ByteBudget {
  #used = 0;
  #waiting: Array<() => void> = [];

  constructor(readonly limit: number) {}

  /** Waits until `bytes` fit (a file larger than the whole budget waits until it is alone). */
  async take(bytes: number): Promise<BytesHeld> {
    let held = Math.min(Math.max(0, bytes), this.limit);
    while (this.#used > 0 && this.#used + held > this.limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#used += held;
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

  #change(delta: number): void {
    this.#used += delta;
    if (delta < 0) for (const wake of this.#waiting.splice(0)) wake();
  }
}

export interface BytesHeld {
  /** The file's bytes are now known: hold exactly these. */
  resize(bytes: number): void;
  release(): void;
}
