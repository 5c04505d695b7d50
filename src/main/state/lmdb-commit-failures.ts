/**
 * lmdb-js 3.5 reports a failed commit (disk full, I/O error) three ways: it rejects the promise of
 * every write in the transaction (docpool awaits those and stops with STATE_WRITE_FAILED), it
 * rejects promises of its own that nobody holds (the batch start of each event turn, and every
 * error's `commitError`), and it prints the system error with a stack trace through
 * `console.error`. The second would end the process as an unhandled rejection (exit 1, which
 * means "done, some files failed") before docpool could say what happened; the third is a stack
 * trace where the user is owed a sentence. Both are recognised by their shape and dropped here,
 * once per process; every other unhandled rejection still ends the process as Node's default does.
 */
let installed = false;

export function quietLmdbCommitFailures(): void {
  if (installed) return;
  installed = true;
  process.on('unhandledRejection', (reason) => {
    if (isLmdbCommitFailure(reason)) return;
    throw reason;
  });
  const print = console.error.bind(console);
  console.error = (...args: unknown[]) => {
    if (args.length === 1 && isLmdbSystemError(args[0])) return;
    print(...args);
  };
}

/** "Commit failed (see commitError for details)", or the system error inside it. */
function isLmdbCommitFailure(reason: unknown): boolean {
  return reason instanceof Error && ('commitError' in reason || isLmdbSystemError(reason));
}

/** lmdb-js's errors from a write's status carry a numeric `code` and come from its write.js. */
function isLmdbSystemError(value: unknown): boolean {
  return value instanceof Error && typeof (value as { code?: unknown }).code === 'number' && (value.stack ?? '').includes('/lmdb/write.js');
}
