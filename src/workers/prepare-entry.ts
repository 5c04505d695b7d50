/**
 * Piscina entry for the prepare task. It only adapts: the logic is `prepareFile`, and the
 * subset bytes leave the thread by transfer (Piscina.move), never by copy.
 */
import { basename } from 'node:path';
import { Piscina } from 'piscina';
import { engineBroken, engineHeapBytes } from './pdf-window.ts';
import { expandFile, hashFile, prepareFile } from './prepare.ts';
import type { ExpandResult, HashResult, PrepareResult, PrepareTask } from './protocol.ts';

/**
 * A thread whose MuPDF heap is larger than this after a file is replaced. Ordinary files keep it
 * near 40 MB; a decompression bomb can take it past 1 GB, which would otherwise stay held by every
 * thread it visited.
 */
const MAX_ENGINE_HEAP_BYTES = 384 * 1024 * 1024;

/** The buffer of the last subset sent, kept only so a test can check it was detached by the move. */
let lastMovedBuffer: ArrayBufferLike | undefined;

/** Set once a document broke this thread's MuPDF or grew its heap past the bound: the thread ends at its next task. */
let retiring = false;

export default async function prepare(task: PrepareTask): Promise<PrepareResult> {
  retireIfDue();
  const fault = process.env.DOCPOOL_FAULT_INJECTION === '1' ? (task.fault ?? faultNamedIn(task.path)) : undefined;
  if (fault) injectFault(fault);
  const result = await prepareFile(task);
  // A broken engine, or a heap a document grew past the bound (WASM memory never shrinks): a fresh thread.
  retiring = engineBroken() || engineHeapBytes() > MAX_ENGINE_HEAP_BYTES;
  if (result.kind !== 'prepared') return result;
  // The window's subset and a bundle's pages (for a model to split): each moved when there is one.
  const buffers = [result.subset, result.bundle?.subset].filter((bytes) => bytes !== undefined && bytes.byteLength > 0).map((bytes) => bytes!.buffer);
  if (buffers.length === 0) return result;
  lastMovedBuffer = buffers[0];
  // A custom Transferable: Piscina posts `result` with the subsets' buffers in the transfer list.
  const movable = { [Piscina.transferableSymbol]: buffers, [Piscina.valueSymbol]: result };
  return Piscina.move(movable as unknown as Parameters<typeof Piscina.move>[0]) as unknown as PrepareResult;
}

/** Named task (Piscina `name: 'expand'`): a ZIP's or a mail's documents, each with its content hash. */
export async function expand(task: PrepareTask): Promise<ExpandResult> {
  retireIfDue();
  return expandFile(task);
}

/** Named task (Piscina `name: 'hash'`): the content hash alone, for a queue coordinator. */
export function hash(task: PrepareTask): HashResult {
  retireIfDue();
  return hashFile(task);
}

/** Diagnostic export (Piscina `name: 'lastMovedByteLength'`): 0 once the last subset was transferred. */
export function lastMovedByteLength(): number | undefined {
  return lastMovedBuffer?.byteLength;
}

/**
 * Ends a retiring thread at the start of its next task. It cannot end between tasks: Piscina
 * blocks an idle thread in Atomics.wait, so nothing scheduled after a task runs until the next
 * one arrives. That task fails as a crash, and the pool prepares it again on a fresh thread with
 * a fresh MuPDF (PreparePool); the file that broke the engine already has its answer.
 */
function retireIfDue(): void {
  if (retiring) process.exit(0);
}

/** Lets a whole-CLI test plant a crashing or hanging file: `x.docpool-fault-crash.pdf`. */
function faultNamedIn(path: string): PrepareTask['fault'] {
  return /\.docpool-fault-(crash|hang)\./.exec(basename(path))?.[1] as PrepareTask['fault'];
}

function injectFault(fault: NonNullable<PrepareTask['fault']>): void {
  if (fault === 'crash') process.exit(70);
  // A busy loop, like a MuPDF call that never returns: only terminating the thread ends it.
  for (;;);
}
