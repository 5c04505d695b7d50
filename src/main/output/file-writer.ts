import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

/** Appends text to a file, waiting for the stream to drain so memory stays flat on huge runs. */
export class FileWriter {
  readonly #stream: WriteStream;
  /** One wait for 'drain' shared by every writer that hit the full buffer (not a listener each). */
  #drained: Promise<void> | undefined;

  constructor(path: string) {
    this.#stream = createWriteStream(path, { flags: 'w' });
  }

  async write(text: string): Promise<void> {
    if (this.#stream.write(text)) return;
    this.#drained ??= once(this.#stream, 'drain').then(() => {
      this.#drained = undefined;
    });
    await this.#drained;
  }

  async close(): Promise<void> {
    this.#stream.end();
    await once(this.#stream, 'finish');
  }
}
