import type { FileRecord } from '../state/record.ts';

/** Where records go as files finish: one per input file, in finishing order. */
export interface Sink {
  write(record: FileRecord): Promise<void>;
  close(): Promise<void>;
}
