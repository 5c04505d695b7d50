import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync, statfsSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { type Database, open, type RootDatabase } from 'lmdb';
import { RunAborted, RunRefused, UsageError } from '../errors.ts';
import { quietLmdbCommitFailures } from './lmdb-commit-failures.ts';
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
  /**
   * Change time: updated by every write and no tool can set it back, unlike mtime (`cp -p`,
   * `rsync --inplace -t`, `touch -r`). Absent in facts saved before docpool compared it: such a
   * file is read once more.
   */
  readonly ctimeMs?: number;
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
  readonly stat: { readonly size: number; readonly mtimeMs: number; readonly ctimeMs?: number; readonly ino: number } | null;
  /** When the record was committed (ms since the epoch): tells this attempt's records from older ones. */
  readonly committedAt?: number;
}

/** The first file an invoice identity was seen in: a later file of other content with the same identity is its duplicate. */
export interface InvoiceSeen {
  readonly sha256: string;
  readonly path: string;
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
  readonly #invoices: Database<InvoiceSeen, string>;
  /** The first write that failed: no other is asked of LMDB after it. */
  #writeFailed: RunAborted | undefined;

  private constructor(
    root: RootDatabase,
    private readonly dir: string,
  ) {
    this.#root = root;
    this.#results = root.openDB<StepResult, string>({ name: 'results' });
    this.#files = root.openDB<FileFacts, string>({ name: 'files' });
    this.#runs = root.openDB<RunInfo, string>({ name: 'runs' });
    this.#runFiles = root.openDB<RunFileState, RunFileKey>({ name: 'run-files' });
    this.#samples = root.openDB<RunSample, SampleKey>({ name: 'run-samples' });
    this.#batchJobs = root.openDB<BatchJobRecord, string>({ name: 'batch-jobs' });
    this.#invoices = root.openDB<InvoiceSeen, string>({ name: 'invoices' });
  }

  /**
   * For `status`, `export` and `report`: the folder opened read-only, so reading it never writes
   * (a folder docpool made before one of its databases existed is opened as `open` does).
   */
  static openReadOnly(dir: string): Store {
    Store.#refuseUnusable(dir);
    if (!existsSync(join(dir, 'data.mdb'))) throw new UsageError(`--db: no docpool state folder at ${dir}; run \`docpool run\` first (or point --db at one)`);
    const root = openReadOnlyRoot(dir);
    const keys = rootKeys(root);
    const names = new Set(keys);
    if (!names.has('meta')) {
      void root.close();
      throw foreignRefusal(dir, keys) ?? new UsageError(`--db: ${dir} is not a docpool state folder (it holds nothing); point --db at a folder docpool made`);
    }
    const layout = root.openDB<{ tag: string; layout: number }, string>({ name: 'meta' }).get('layout');
    if (layout?.tag !== STORE_TAG || layout.layout !== STORE_LAYOUT) {
      root.close();
      throw new UsageError(`--db: ${dir} holds state layout ${JSON.stringify(layout)}, this docpool reads layout ${STORE_LAYOUT}; use another --db folder`);
    }
    if (DATABASES.every((name) => names.has(name))) return new Store(root, dir);
    root.close();
    return Store.open(dir);
  }

  /** Checks that need no LMDB: a file where a folder should be, a data.mdb that is not LMDB (opening one crashes the process). */
  static #refuseUnusable(dir: string): void {
    if (existsSync(dir) && !statSync(dir).isDirectory()) {
      throw new UsageError(`--db: ${dir} is a file; point --db at a folder (new or used by docpool before)`);
    }
    const dataFile = join(dir, 'data.mdb');
    const problem = existsSync(dataFile) ? lmdbFileProblem(dataFile) : undefined;
    if (problem) {
      throw new UsageError(
        `--db: ${dir}/data.mdb cannot be opened safely: ${problem} (damaged, or from another tool); move the folder aside (docpool export cannot read it either) and run again with a new --db`,
      );
    }
  }

  static open(dir: string): Store {
    Store.#refuseUnusable(dir);
    if (existsSync(dir) && !existsSync(join(dir, 'data.mdb')) && readdirSync(dir).length > 0) {
      throw new UsageError(`--db: ${dir} exists and is not a docpool state folder (no data.mdb); point --db at an empty or new folder`);
    }
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new UsageError(`--db: cannot create the state folder ${dir} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    refuseForeign(dir);
    refuseFullDisk(dir);
    quietLmdbCommitFailures();
    let root: RootDatabase;
    let layout: { tag: string; layout: number } | undefined;
    let meta: Database<{ tag: string; layout: number }, string>;
    try {
      // noSubdir false: lmdb-js would otherwise treat a folder name with a dot ("my.state") as a file.
      root = open({ path: dir, noSubdir: false, maxDbs: 8, compression: false });
      meta = root.openDB<{ tag: string; layout: number }, string>({ name: 'meta' });
      layout = meta.get('layout');
    } catch (error) {
      throw new UsageError(
        `--db: ${dir} cannot be opened as a docpool state folder (${(error as Error).message}); it may be damaged or from another tool — move it aside and run again`,
      );
    }
    if (layout === undefined) {
      meta.putSync('layout', { tag: STORE_TAG, layout: STORE_LAYOUT });
    } else if (layout.tag !== STORE_TAG || layout.layout !== STORE_LAYOUT) {
      root.close();
      throw new UsageError(`--db: ${dir} holds state layout ${JSON.stringify(layout)}, this docpool reads layout ${STORE_LAYOUT}; use another --db folder`);
    }
    return new Store(root, dir);
  }

  getResult(key: string): StepResult | undefined {
    return this.#results.get(key);
  }

  /** Resolves once the result is durably committed. */
  putResult(key: string, result: StepResult): Promise<void> {
    return this.#write(() => this.#results.put(key, result));
  }

  getFile(path: string): FileFacts | undefined {
    return this.#files.get(pathKey(path));
  }

  putFile(path: string, facts: FileFacts): Promise<void> {
    return this.#write(() => this.#files.put(pathKey(path), facts));
  }

  getRun(id: string): RunInfo | undefined {
    return this.#runs.get(id);
  }

  putRun(run: RunInfo): Promise<void> {
    return this.#write(() => this.#runs.put(run.id, run));
  }

  runs(): RunInfo[] {
    return [...this.#runs.getRange({}).map(({ value }) => value)].sort((a, b) => b.updatedAt - a.updatedAt);
  }

  getRunFile(runId: string, path: string): RunFileState | undefined {
    return this.#runFiles.get(runFileKey(runId, path));
  }

  putRunFile(runId: string, path: string, state: RunFileState): Promise<void> {
    return this.#write(() => this.#runFiles.put(runFileKey(runId, path), state));
  }

  /**
   * The keys of a run's file states that start with `prefix` (a file's documents: its pages, or one
   * part's). A path too long to be a key is kept under its hash, one for each document: none is
   * found by its prefix.
   */
  runFileKeysFrom(runId: string, prefix: string): string[] {
    if (Buffer.byteLength(prefix) > MAX_PATH_KEY_BYTES) return [];
    const range = { start: [runId, prefix] as RunFileKey, end: [runId, `${prefix}\uffff`] as RunFileKey };
    return [...this.#runFiles.getKeys(range)].map((key) => (key as RunFileKey)[1]);
  }

  /** Forgets file states of a run: records a later answer of the same file superseded. */
  async dropRunFiles(runId: string, keys: readonly string[]): Promise<void> {
    for (const key of keys) await this.#write(() => this.#runFiles.remove(runFileKey(runId, key)));
  }

  /** Every file state of a run, in path order, streamed from LMDB (never all in memory). */
  *runFiles(runId: string): Generator<RunFileState> {
    // Array keys sort element by element: every [runId, path] lies between [runId] and [runId + '\u0001'].
    for (const { value } of this.#runFiles.getRange({ start: [runId] as unknown as RunFileKey, end: [`${runId}\u0001`] as unknown as RunFileKey })) yield value;
  }

  /** The first file seen with this invoice identity (normalised vendor, number and total), in any run of this folder. */
  getInvoice(identity: string): InvoiceSeen | undefined {
    return this.#invoices.get(identity);
  }

  putInvoice(identity: string, seen: InvoiceSeen): Promise<void> {
    return this.#write(() => this.#invoices.put(identity, seen));
  }

  putSample(runId: string, sample: RunSample): Promise<void> {
    return this.#write(() => this.#samples.put([runId, sample.at], sample));
  }

  /** A run's samples, oldest first (every attempt's, one after the other). */
  samples(runId: string): RunSample[] {
    return [...this.#samples.getRange({ start: [runId] as unknown as SampleKey, end: [`${runId}\u0001`] as unknown as SampleKey }).map(({ value }) => value)];
  }

  /** Resolves once durable: the intent must be on disk before `batches.create` is called. */
  putBatchJob(job: BatchJobRecord): Promise<void> {
    return this.#write(() => this.#batchJobs.put(job.displayName, job));
  }

  batchJobs(): BatchJobRecord[] {
    return [...this.#batchJobs.getRange({}).map(({ value }) => value)].sort((a, b) => a.createdAt - b.createdAt);
  }

  fileCount(): number {
    return this.#files.getCount();
  }

  /**
   * A failed write (disk full, folder removed) stops the run: nothing may be counted done that is
   * not saved. LMDB is not asked to write on a disk with less than MIN_FREE_WHILE_RUNNING left,
   * nor again after a write failed: lmdb-js after a failed commit has corrupted the process's
   * heap (glibc "corrupted size vs. prev_size" at exit, 1 run in 8 of the disk-filling test).
   */
  async #write(put: () => Promise<boolean>): Promise<void> {
    // Every write after the first failure says why that one failed: whichever files in flight report it first, the run stops with the cause.
    if (this.#writeFailed) throw this.#writeFailed;
    const free = freeBytes(this.dir);
    if (free !== undefined && free < MIN_FREE_WHILE_RUNNING) {
      this.#writeFailed = new RunAborted(
        'STATE_WRITE_FAILED',
        `cannot write to the state folder (${Math.floor(free / 1024)} KB left on its disk); is the disk full?`,
      );
      throw this.#writeFailed;
    }
    try {
      await put();
    } catch (error) {
      this.#writeFailed = new RunAborted('STATE_WRITE_FAILED', `cannot write to the state folder (${await commitFailure(error)}); is the disk full?`);
      throw this.#writeFailed;
    }
  }

  resultCount(): number {
    return this.#results.getCount();
  }

  async close(): Promise<void> {
    // After a failed commit lmdb-js's native write buffers are not fit to free (seen: glibc's
    // "corrupted size vs. prev_size" abort at close after ENOSPC). The process is about to exit,
    // and what was committed is on disk: the environment is left for the OS to release.
    if (this.#writeFailed) return;
    await this.#root.close();
  }
}

/**
 * The reason under lmdb-js's "Commit failed": it rejects a second promise, `commitError`, with
 * the system's error (ENOSPC, EIO), and nothing else would ever handle that one.
 */
async function commitFailure(error: unknown): Promise<string> {
  const underlying = (error as { commitError?: Promise<never> }).commitError;
  if (!underlying) return (error as Error).message;
  return underlying.then(
    () => (error as Error).message,
    (cause: unknown) => (cause as Error).message,
  );
}

/**
 * Why an LMDB data file cannot be opened safely, or undefined when it can. LMDB maps the file and
 * trusts it: a truncated file makes the process die of SIGBUS, garbage in a meta page of SIGSEGV,
 * with no message. So the two meta pages are read first (the layout of lmdb-js 3.5's MDB_meta:
 * the magic 0xBEEFC0DE at byte 24 after the 16-byte page header, the page size in the free
 * database's first word at 48, the last page number at 144, the transaction id at 152; checked
 * against files it writes): both must carry the magic, and the newer one's last page must lie
 * inside the file.
 */
function lmdbFileProblem(file: string): string | undefined {
  const size = statSync(file).size;
  // An empty file is one LMDB created and never wrote (the disk was full): LMDB starts it afresh.
  if (size === 0) return undefined;
  const head = Buffer.alloc(Math.min(size, 2 * MAX_PAGE_SIZE));
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const meta = (offset: number) =>
    offset + META_TXNID + 8 <= head.length && head.readUInt32LE(offset + META_MAGIC) === LMDB_MAGIC
      ? {
          pageSize: head.readUInt32LE(offset + META_PAGE_SIZE),
          lastPage: head.readBigUInt64LE(offset + META_LAST_PAGE),
          txnid: head.readBigUInt64LE(offset + META_TXNID),
        }
      : undefined;
  const first = meta(0);
  if (!first) return 'its first page is not an LMDB meta page';
  const second = meta(first.pageSize);
  if (first.pageSize < 512 || first.pageSize > MAX_PAGE_SIZE || !second) return 'its meta pages are damaged';
  const current = second.txnid > first.txnid ? second : first;
  if ((current.lastPage + 1n) * BigInt(first.pageSize) > BigInt(size))
    return `it is cut short (${size} bytes, its last page ends at ${(current.lastPage + 1n) * BigInt(first.pageSize)})`;
  return undefined;
}

/**
 * A state folder on a full disk is refused before LMDB touches it: LMDB creates its data file,
 * cannot write the first pages, then maps and reads them, and the process dies of SIGBUS (exit
 * 135) with no message. What a run needs to start is a few pages; the margin is a first batch of
 * records. The disk filling later is a failed commit, which stops the run as STATE_WRITE_FAILED.
 */
function refuseFullDisk(dir: string): void {
  const { bavail, bsize } = statfsSync(dir);
  const free = bavail * bsize;
  if (free < MIN_FREE_BYTES) {
    throw new RunRefused(
      `--db: the disk under ${dir} is full (${Math.floor(free / 1024)} KB free, docpool needs ${MIN_FREE_BYTES / 1024 / 1024} MB to start; STATE_WRITE_FAILED): free some space or point --db at another disk`,
    );
  }
}

const MIN_FREE_BYTES = 4 * 1024 * 1024;
/** Left on the state folder's disk, below which a run stops before LMDB's next write can fail. */
const MIN_FREE_WHILE_RUNNING = 1024 * 1024;

/** Bytes an unprivileged process may still write on the disk under `dir` (undefined where statfs cannot say). */
function freeBytes(dir: string): number | undefined {
  try {
    const { bavail, bsize } = statfsSync(dir);
    return bavail * bsize;
  } catch {
    return undefined;
  }
}

/** The named databases docpool keeps (each is a key of the environment's main database). */
const DATABASES = ['meta', 'results', 'files', 'runs', 'run-files', 'run-samples', 'batch-jobs', 'invoices'];

/**
 * An existing LMDB environment that docpool did not make is never written to: opening even one
 * named database would add it to the other application's data. Its main database is read
 * read-only first: docpool's holds only its own database names (`meta` among them).
 */
function refuseForeign(dir: string): void {
  if (!existsSync(join(dir, 'data.mdb'))) return;
  const probe = openReadOnlyRoot(dir);
  let keys: string[];
  try {
    keys = rootKeys(probe);
  } finally {
    void probe.close();
  }
  const refusal = foreignRefusal(dir, keys);
  if (refusal) throw refusal;
}

/** The refusal for an environment whose main database holds keys but not docpool's `meta`. */
function foreignRefusal(dir: string, keys: readonly string[]): UsageError | undefined {
  if (keys.length === 0 || keys.includes('meta')) return undefined;
  return new UsageError(
    `--db: ${dir} is another application's LMDB environment (it holds ${describeKeys(keys)}); docpool never writes into it: point --db at an empty or new folder`,
  );
}

function openReadOnlyRoot(dir: string): RootDatabase {
  try {
    return open({ path: dir, noSubdir: false, maxDbs: 8, compression: false, readOnly: true });
  } catch (error) {
    throw new UsageError(
      `--db: ${dir} cannot be opened as a docpool state folder (${(error as Error).message}); it may be damaged or from another tool — move it aside and run again`,
    );
  }
}

/** The first keys of an environment's main database, as text. */
function rootKeys(root: RootDatabase): string[] {
  return [...root.getKeys({ limit: 64 })].map((key) => String(key));
}

function describeKeys(keys: readonly string[]): string {
  return keys.length === 0
    ? 'nothing'
    : `keys such as ${keys
        .slice(0, 3)
        .map((key) => JSON.stringify(key))
        .join(', ')}`;
}

const LMDB_MAGIC = 0xbeefc0de;
const META_MAGIC = 24;
const META_PAGE_SIZE = 48;
const META_LAST_PAGE = 144;
const META_TXNID = 152;
const MAX_PAGE_SIZE = 65_536;

/** [run id, when taken]. */
type SampleKey = [string, number];

/** [run id, path]: a compound key (lmdb-js orders arrays element by element). */
type RunFileKey = [string, string];

function runFileKey(runId: string, path: string): RunFileKey {
  return [runId, pathKey(path)];
}

/**
 * LMDB keys hold at most 1,978 bytes (lmdb-js's default), and a compound key holds the run id
 * too: a longer path (deep shares reach that) is keyed by its hash instead, behind a NUL that no
 * real path contains. Records keep the path itself in their value; short keys are unchanged, so
 * existing state folders read the same.
 */
function pathKey(path: string): string {
  return Buffer.byteLength(path) <= MAX_PATH_KEY_BYTES ? path : `\u0000sha256:${createHash('sha256').update(path).digest('hex')}`;
}

const MAX_PATH_KEY_BYTES = 900;
