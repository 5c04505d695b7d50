import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Database, open, type RootDatabase } from 'lmdb';
import { UsageError } from '../errors.ts';
import { RunAborted } from '../errors.ts';
import type { BatchJobRecord } from './batch-job.ts';
import type { FileRecord, StepResult } from './record.ts';
import type { RunSample, RunSettings } from './run-sample.ts';

/** Layout version of the state folder; a different one is refused, never misread. */
export const STORE_LAYOUT = 2;
const STORE_TAG = 'docpool-state';

/** What the stat cache knows about a path: enough to skip reading an unchanged file. */
export interface FileFacts {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
  readonly sha256: string;
  readonly pages: number;
  /** When the hash was taken; a file modified in the same second may have changed unseen (git's racy-clean rule). */
  readonly hashedAt: number;
}

export type RunState = 'running' | 'complete' | 'interrupted' | 'stopped' | 'aborted';

/** A run: the same inputs and fingerprint give the same id, which is what makes resume work. */
export interface RunInfo {
  readonly id: string;
  readonly inputs: readonly string[];
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly state: RunState;
  /** Files found, once discovery has finished at least once. */
  readonly discovered?: number;
  /** Files the workers read and hashed in the latest attempt, and files skipped by the stat cache. */
  readonly filesRead: number;
  readonly statHits: number;
  /** The settings of the latest attempt (absent in runs made before docpool kept them). */
  readonly settings?: RunSettings;
}

/** One file's state in a run: its output record and the stat it had, to tell if it changed since. */
export interface RunFileState {
  readonly record: FileRecord;
  readonly stat: { readonly size: number; readonly mtimeMs: number; readonly ino: number } | null;
  /** When the record was committed (ms since the epoch): tells this attempt's records from older ones. */
  readonly committedAt?: number;
}

/**
 * The one owner of the LMDB state folder (DESIGN §5). Writes go through lmdb-js's batched async
 * transactions; callers await them before counting a file done, so a crash never loses work
 * that was reported as finished.
 */
export class Store {
  readonly #root: RootDatabase;
  readonly #results: Database<StepResult, string>;
  readonly #files: Database<FileFacts, string>;
  readonly #runs: Database<RunInfo, string>;
  readonly #runFiles: Database<RunFileState, RunFileKey>;
  readonly #samples: Database<RunSample, SampleKey>;
  readonly #batchJobs: Database<BatchJobRecord, string>;

  private constructor(root: RootDatabase) {
    this.#root = root;
    this.#results = root.openDB<StepResult, string>({ name: 'results' });
    this.#files = root.openDB<FileFacts, string>({ name: 'files' });
    this.#runs = root.openDB<RunInfo, string>({ name: 'runs' });
    this.#runFiles = root.openDB<RunFileState, RunFileKey>({ name: 'run-files' });
    this.#samples = root.openDB<RunSample, SampleKey>({ name: 'run-samples' });
    this.#batchJobs = root.openDB<BatchJobRecord, string>({ name: 'batch-jobs' });
  }

  static open(dir: string): Store {
    if (existsSync(dir) && !statSync(dir).isDirectory()) {
      throw new UsageError(`--db: ${dir} is a file; point --db at a folder (new or used by docpool before)`);
    }
    if (existsSync(dir) && !existsSync(join(dir, 'data.mdb')) && readdirSync(dir).length > 0) {
      throw new UsageError(`--db: ${dir} exists and is not a docpool state folder (no data.mdb); point --db at an empty or new folder`);
    }
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new UsageError(`--db: cannot create the state folder ${dir} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    const dataFile = join(dir, 'data.mdb');
    if (existsSync(dataFile) && !hasLmdbMagic(dataFile)) {
      throw new UsageError(`--db: ${dir}/data.mdb is not an LMDB file (damaged, or from another tool); move the folder aside and run again`);
    }
    let root: RootDatabase;
    let layout: { tag: string; layout: number } | undefined;
    let meta: Database<{ tag: string; layout: number }, string>;
    try {
      // noSubdir false: lmdb-js would otherwise treat a folder name with a dot ("my.state") as a file.
      root = open({ path: dir, noSubdir: false, maxDbs: 8, compression: false });
      meta = root.openDB<{ tag: string; layout: number }, string>({ name: 'meta' });
      layout = meta.get('layout');
    } catch (error) {
      throw new UsageError(`--db: ${dir} cannot be opened as a docpool state folder (${(error as Error).message}); it may be damaged or from another tool — move it aside and run again`);
    }
    if (layout === undefined) {
      meta.putSync('layout', { tag: STORE_TAG, layout: STORE_LAYOUT });
    } else if (layout.tag !== STORE_TAG || layout.layout !== STORE_LAYOUT) {
      root.close();
      throw new UsageError(`--db: ${dir} holds state layout ${JSON.stringify(layout)}, this docpool reads layout ${STORE_LAYOUT}; use another --db folder`);
    }
    return new Store(root);
  }

  getResult(key: string): StepResult | undefined {
    return this.#results.get(key);
  }

  /** Resolves once the result is durably committed. */
  putResult(key: string, result: StepResult): Promise<void> {
    return this.#write(this.#results.put(key, result));
  }

  getFile(path: string): FileFacts | undefined {
    return this.#files.get(path);
  }

  putFile(path: string, facts: FileFacts): Promise<void> {
    return this.#write(this.#files.put(path, facts));
  }

  getRun(id: string): RunInfo | undefined {
    return this.#runs.get(id);
  }

  putRun(run: RunInfo): Promise<void> {
    return this.#write(this.#runs.put(run.id, run));
  }

  runs(): RunInfo[] {
    return [...this.#runs.getRange({}).map(({ value }) => value)].sort((a, b) => b.updatedAt - a.updatedAt);
  }

  getRunFile(runId: string, path: string): RunFileState | undefined {
    return this.#runFiles.get(runFileKey(runId, path));
  }

  putRunFile(runId: string, path: string, state: RunFileState): Promise<void> {
    return this.#write(this.#runFiles.put(runFileKey(runId, path), state));
  }

  /** Every file state of a run, in path order, streamed from LMDB (never all in memory). */
  *runFiles(runId: string): Generator<RunFileState> {
    // Array keys sort element by element: every [runId, path] lies between [runId] and [runId + '\u0001'].
    for (const { value } of this.#runFiles.getRange({ start: [runId] as unknown as RunFileKey, end: [`${runId}\u0001`] as unknown as RunFileKey })) yield value;
  }

  putSample(runId: string, sample: RunSample): Promise<void> {
    return this.#write(this.#samples.put([runId, sample.at], sample));
  }

  /** A run's samples, oldest first (every attempt's, one after the other). */
  samples(runId: string): RunSample[] {
    return [...this.#samples.getRange({ start: [runId] as unknown as SampleKey, end: [`${runId}\u0001`] as unknown as SampleKey }).map(({ value }) => value)];
  }

  /** Resolves once durable: the intent must be on disk before `batches.create` is called. */
  putBatchJob(job: BatchJobRecord): Promise<void> {
    return this.#write(this.#batchJobs.put(job.displayName, job));
  }

  batchJobs(): BatchJobRecord[] {
    return [...this.#batchJobs.getRange({}).map(({ value }) => value)].sort((a, b) => a.createdAt - b.createdAt);
  }

  fileCount(): number {
    return this.#files.getCount();
  }

  /** A failed write (disk full, folder removed) stops the run: nothing may be counted done that is not saved. */
  async #write(pending: Promise<boolean>): Promise<void> {
    try {
      await pending;
    } catch (error) {
      throw new RunAborted('STATE_WRITE_FAILED', `cannot write to the state folder (${(error as Error).message}); is the disk full?`);
    }
  }

  resultCount(): number {
    return this.#results.getCount();
  }

  async close(): Promise<void> {
    await this.#root.close();
  }
}

/**
 * LMDB's first meta page carries the magic 0xBEEFC0DE at byte 24 (16-byte page header, then the
 * meta's 8-byte-aligned start; checked against files lmdb-js 3.5 writes). Opening a file without
 * it makes the native library crash the process, so it is checked first.
 */
function hasLmdbMagic(file: string): boolean {
  const header = Buffer.alloc(LMDB_MAGIC_OFFSET + 4);
  const fd = openSync(file, 'r');
  try {
    if (readSync(fd, header, 0, header.length, 0) < header.length) return false;
  } finally {
    closeSync(fd);
  }
  return header.readUInt32LE(LMDB_MAGIC_OFFSET) === LMDB_MAGIC;
}

const LMDB_MAGIC = 0xbeefc0de;
const LMDB_MAGIC_OFFSET = 24;

/** [run id, when taken]. */
type SampleKey = [string, number];

/** [run id, path]: a compound key (lmdb-js orders arrays element by element). */
type RunFileKey = [string, string];

function runFileKey(runId: string, path: string): RunFileKey {
  return [runId, path];
}
