/**
 * Piscina entry for the prepare task. It only adapts: the logic is `prepareFile`, and the
 * subset bytes leave the thread by transfer (Piscina.move), never by copy.
 */
import { basename } from 'node:path';
import { Piscina } from 'piscina';
import { hashFile, prepareFile } from './prepare.ts';
import type { HashResult, PrepareResult, PrepareTask } from './protocol.ts';

/** The buffer of the last subset sent, kept only so a test can check it was detached by the move. */
let lastMovedBuffer: ArrayBufferLike | undefined;

export default async function prepare(task: PrepareTask): Promise<PrepareResult> {
  const fault = process.env.DOCPOOL_FAULT_INJECTION === '1' ? (task.fault ?? faultNamedIn(task.path)) : undefined;
  if (fault) injectFault(fault);
  const result = await prepareFile(task);
  if (result.kind !== 'prepared' || result.subset.byteLength === 0) return result;
  lastMovedBuffer = result.subset.buffer;
  // A custom Transferable: Piscina posts `result` with the subset's buffer in the transfer list.
  const movable = { [Piscina.transferableSymbol]: [result.subset.buffer], [Piscina.valueSymbol]: result };
  return Piscina.move(movable as unknown as Parameters<typeof Piscina.move>[0]) as unknown as PrepareResult;
}

/** Named task (Piscina `name: 'hash'`): the content hash alone, for a queue coordinator. */
export function hash(task: PrepareTask): HashResult {
  return hashFile(task);
}

/** Diagnostic export (Piscina `name: 'lastMovedByteLength'`): 0 once the last subset was transferred. */
export function lastMovedByteLength(): number | undefined {
  return lastMovedBuffer?.byteLength;
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
