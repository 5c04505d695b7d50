import type { FileRecord } from '../state/record.ts';
import { FileWriter } from './file-writer.ts';
import type { Sink } from './sink.ts';

export class JsonlSink implements Sink {
  readonly #writer: FileWriter;

  constructor(path: string) {
    this.#writer = new FileWriter(path);
  }

  write(record: FileRecord): Promise<void> {
    return this.#writer.write(`${JSON.stringify(record)}\n`);
  }

  close(): Promise<void> {
    return this.#writer.close();
  }
}
