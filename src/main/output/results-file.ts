import { lstatSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { RunAborted, UsageError } from '../errors.ts';
import { checkOutputPath } from './output-path.ts';
import type { Profile } from '../profiles/profile.ts';
import type { FileRecord } from '../state/record.ts';
import { type SinkOpeners, sinkFor } from './open-sink.ts';
import type { Sink } from './sink.ts';

/**
 * A run's results file, never shorter than what the run has committed. Lines stream to
 * `<out>.partial` while the run goes (to watch, or to salvage after a crash); at the end of every
 * attempt, complete or stopped or aborted, the whole file is written anew from the run's committed
 * records to `<out>.tmp` and renamed over `<out>`. So after any stop `<out>` holds every committed
 * record, carried-over ones included, and a killed run leaves the last complete `<out>` untouched.
 */
export class ResultsFile {
  readonly #partial: Sink;
  #written = 0;

  private constructor(
    readonly out: string,
    private readonly openers: SinkOpeners,
  ) {
    this.#partial = openers.partial(fresh(`${out}.partial`));
  }

  /**
   * Checks the output before any work starts: its kind, a folder docpool can write in, not one of
   * the inputs, and no folder in the way of its working files.
   */
  static open(out: string, profile: () => Profile, inputs: readonly string[] = []): ResultsFile {
    const openers = sinkFor(out, profile);
    const path = resolve(out);
    checkOutputPath(path, out, 'a file name ending in .jsonl, .csv or .xlsx');
    refuseInputAsOutput(path, inputs);
    for (const working of [`${path}.partial`, `${path}.tmp`]) {
      if (isFolder(working))
        throw new UsageError(`--out: ${working} is a folder in the way of the results file's working copy; remove it or choose another -o`);
    }
    return new ResultsFile(path, openers);
  }

  /** Streams one finished file's line; a failed write stops the run with what to do (nothing is lost: LMDB has it). */
  async write(record: FileRecord): Promise<void> {
    try {
      await this.#partial.write(record);
      this.#written++;
    } catch (error) {
      throw writeFailed(`${this.out}.partial`, error);
    }
  }

  /** Writes the complete file from the run's committed records and puts it in place; returns the count. */
  async publish(records: Iterable<FileRecord>): Promise<number> {
    // Every record is in LMDB; the partial file was only ever a live view of them.
    await this.#partial.close().catch(() => {});
    const temporary = fresh(`${this.out}.tmp`);
    const sink = this.openers.final(temporary);
    let count = 0;
    try {
      for (const record of records) {
        await sink.write(record);
        count++;
      }
      await sink.close();
      renameSync(temporary, this.out);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw writeFailed(this.out, error);
    }
    rmSync(`${this.out}.partial`, { force: true });
    return count;
  }

  /**
   * Closes the partial stream without publishing (when set-up failed before any work); safe after
   * publish. A partial file with no line in it salvages nothing and goes.
   */
  async close(): Promise<void> {
    await this.#partial.close().catch(() => {}); // its write failure, if any, was reported by write()
    if (this.#written === 0) rmSync(`${this.out}.partial`, { force: true });
  }
}

/**
 * A working file's path, cleared: a leftover file or a link planted there is removed (a link is
 * removed itself, never followed), and the sinks create it exclusively (flags 'wx').
 */
function fresh(path: string): string {
  rmSync(path, { force: true });
  return path;
}

function isFolder(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false; // nothing there: nothing in the way
  }
}

/** `-o` naming a file that is also an input would overwrite a document with results. */
function refuseInputAsOutput(out: string, inputs: readonly string[]): void {
  const real = (path: string) => {
    try {
      return realpathSync(path);
    } catch {
      return resolve(path); // not there yet (the output): its own name is what it will be
    }
  };
  const target = real(out);
  const clash = inputs.find((input) => real(input) === target);
  if (clash) throw new UsageError(`--out: ${out} is one of the inputs (${clash}); writing results there would overwrite it: choose another -o`);
}

/** Nothing is lost when the results file cannot be written: every answer is in the state folder. */
function writeFailed(file: string, error: unknown): RunAborted {
  const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message ?? String(error);
  return new RunAborted(
    'OUTPUT_WRITE_FAILED',
    `cannot write ${file} (${reason}); every answer is saved in the state folder: free some space, then run again or use docpool export`,
  );
}
