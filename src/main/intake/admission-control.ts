/**
 * What the user can do to admission while a run goes: pause and resume it (the dashboard's `p`)
 * and stop it gracefully (`q`, Ctrl-C). Files already admitted always finish.
 */
export class AdmissionControl {
  readonly #stop = new AbortController();
  #paused = false;
  #resume: (() => void) | undefined;
  #resumed: Promise<void> = Promise.resolve();

  get signal(): AbortSignal {
    return this.#stop.signal;
  }

  get paused(): boolean {
    return this.#paused;
  }

  togglePause(): void {
    if (this.#paused) {
      this.#paused = false;
      this.#resume?.();
      return;
    }
    this.#paused = true;
    this.#resumed = new Promise((resolve) => (this.#resume = resolve));
  }

  stop(): void {
    this.#paused = false;
    this.#resume?.();
    this.#stop.abort();
  }

  /** Resolves when admission may go on (at once unless paused). */
  waitWhilePaused(): Promise<void> {
    return this.#paused ? this.#resumed : Promise.resolve();
  }
}
