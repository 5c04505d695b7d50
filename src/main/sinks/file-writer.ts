import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

/** Appends text to a file, waiting for the stream to drain so memory stays flat on huge runs. */
export class FileWriter {
  readonly #stream: WriteStream;

  constructor(path: string) {
    this.#stream = createWriteStream(path, { flags: 'w' });
  }

  async write(text: string): Promise<void> {
    if (!this.#stream.write(text)) await once(this.#stream, 'drain');
  }

  async close(): Promise<void> {
    this.#stream.end();
    await once(this.#stream, 'finish');
  }
}
