import { emitKeypressEvents } from 'node:readline';

export interface DashboardControls {
  readonly togglePause: () => void;
  /** +1 or -1: one step of API concurrency up or down. */
  readonly changeConcurrency: (direction: 1 | -1) => void;
  readonly stop: () => void;
}

/**
 * The dashboard's keys, read on the main thread (which owns stdin and the run): p pauses, + and -
 * step API concurrency, q or Ctrl-C stops gracefully. Without a terminal on stdin there are no
 * keys; Ctrl-C then still arrives as SIGINT. Returns what gives stdin back.
 */
export function listenForKeys(controls: DashboardControls, stdin: NodeJS.ReadStream = process.stdin): () => void {
  if (!stdin.isTTY) return () => {};
  emitKeypressEvents(stdin);
  stdin.setRawMode(true);
  const onKey = (input: string | undefined, key: { name?: string; ctrl?: boolean } | undefined) => {
    if (input === 'p') controls.togglePause();
    else if (input === '+' || input === '=') controls.changeConcurrency(1);
    else if (input === '-') controls.changeConcurrency(-1);
    else if (input === 'q' || (key?.ctrl && key.name === 'c')) controls.stop();
  };
  stdin.on('keypress', onKey);
  stdin.resume();
  return () => {
    stdin.off('keypress', onKey);
    stdin.setRawMode(false);
    stdin.pause();
  };
}
