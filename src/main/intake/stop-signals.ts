import { EXIT } from '../errors.ts';
import type { AdmissionControl } from './admission-control.ts';

/**
 * Ctrl-C and SIGTERM as a graceful stop: admission stops at once, files in flight get
 * `drainTimeoutMs` to finish, then `hardStop` cancels their requests and they are left for the
 * next run. A second signal exits at once (LMDB commits are atomic: the state folder stays sound).
 */
export class StopSignals {
  readonly #onSignal = () => this.stop();
  #drainTimer: NodeJS.Timeout | undefined;

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
    if (this.admission.signal.aborted) process.exit(EXIT.interrupted);
    this.notify(`\ndocpool: stopping: no new files; finishing the ones in flight (up to ${Math.round(this.drainTimeoutMs / 1000)} s; Ctrl-C again to stop at once)\n`);
    this.admission.stop();
    this.#drainTimer = setTimeout(() => this.hardStop.abort(), this.drainTimeoutMs);
    this.#drainTimer.unref();
  }

  dispose(): void {
    clearTimeout(this.#drainTimer);
    process.off('SIGINT', this.#onSignal).off('SIGTERM', this.#onSignal);
  }
}
