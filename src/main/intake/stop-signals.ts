import { EXIT } from '../errors.ts';
import type { AdmissionControl } from './admission-control.ts';

/**
 * Ctrl-C and SIGTERM as a graceful stop: admission stops at once, files in flight get
 * `drainTimeoutMs` to finish, then `hardStop` cancels their requests and they are left for the
 * next run. A second signal cancels them at once, and the run still writes its results file and
 * releases its lock (within a few seconds, else it exits anyway); a third exits on the spot (LMDB
 * commits are atomic: the state folder stays sound, and a dead run's lock is taken over).
 */
/** After a second Ctrl-C: time to commit, publish the results file and release the lock before exiting regardless. */
const HARD_STOP_GRACE_MS = 5_000;

export class StopSignals {
  readonly #onSignal = () => this.stop();
  #drainTimer: NodeJS.Timeout | undefined;
  #signals = 0;

  constructor(
    private readonly admission: AdmissionControl,
    private readonly hardStop: AbortController,
    private readonly drainTimeoutMs: number,
    /** Says what is happening (unless the dashboard shows it). */
    private readonly notify: (message: string) => void,
  ) {
    process.on('SIGINT', this.#onSignal).on('SIGTERM', this.#onSignal);
  }

  /** The graceful stop, also bound to the dashboard's `q`. */
  stop(): void {
    this.#signals++;
    if (this.#signals >= 3) process.exit(EXIT.interrupted);
    if (this.#signals === 2) {
      this.notify('\ndocpool: stopping now: cancelling the requests in flight, writing the results file (Ctrl-C again to quit on the spot)\n');
      this.hardStop.abort();
      setTimeout(() => process.exit(EXIT.interrupted), HARD_STOP_GRACE_MS).unref();
      return;
    }
    this.notify(
      `\ndocpool: stopping: no new files; finishing the ones in flight (up to ${Math.round(this.drainTimeoutMs / 1000)} s; Ctrl-C again to stop at once)\n`,
    );
    this.admission.stop();
    this.#drainTimer = setTimeout(() => this.hardStop.abort(), this.drainTimeoutMs);
    this.#drainTimer.unref();
  }

  dispose(): void {
    clearTimeout(this.#drainTimer);
    process.off('SIGINT', this.#onSignal).off('SIGTERM', this.#onSignal);
  }
}
