import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * Appends text to a file, waiting for the stream to drain so memory stays flat on huge runs.
 * A write error (disk full, folder removed) is kept and thrown by the next write or close,
 * never left to crash the process as an unhandled 'error' event.
 */
export class FileWriter {
  readonly #stream: WriteStream;
  /** One wait for 'drain' shared by every writer that hit the full buffer (not a listener each). */
  #drained: Promise<void> | undefined;
  readonly #failed: Promise<never>;
  #error: Error | undefined;

  constructor(path: string) {
    // Created exclusively: a link planted at the path after it was cleared fails the open, never redirects the write.
    this.#stream = createWriteStream(path, { flags: 'wx' });
    this.#failed = new Promise<never>((_, reject) =>
      this.#stream.once('error', (error) => {
        this.#error = error;
        reject(error);
      }),
    );
    this.#failed.catch(() => {}); // observed through write() and close()
  }

  async write(text: string): Promise<void> {
    if (this.#error) throw this.#error;
    if (this.#stream.write(text)) return;
    this.#drained ??= once(this.#stream, 'drain').then(() => {
      this.#drained = undefined;
    });
    await Promise.race([this.#drained, this.#failed]);
  }

  /** Flushes and closes; safe to call again (a second call returns once the first has finished). */
  async close(): Promise<void> {
    if (this.#error) throw this.#error;
    if (this.#stream.writableFinished) return;
    const finished = once(this.#stream, 'finish');
    if (!this.#stream.writableEnded) this.#stream.end();
    await Promise.race([finished, this.#failed]);
  }
}
