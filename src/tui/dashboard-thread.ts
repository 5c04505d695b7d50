import { Worker } from 'node:worker_threads';
import type { DashboardSnapshot } from '../main/progress/dashboard-feed.ts';
import { type DashboardControls, listenForKeys } from './dashboard-keys.ts';
import { FRAME_MS, type RenderMessage, type RenderReply, type RenderThreadData } from './render-protocol.ts';

/** A dashboard thread that does not finish its last frame in this long is ended anyway. */
const CLOSE_TIMEOUT_MS = 3_000;

export interface DashboardThread {
  /** Draws the last frame (from this snapshot) and gives the screen back; safe to call twice. */
  close(last: DashboardSnapshot): Promise<void>;
}

/**
 * The dashboard drawn by a thread of its own, fed a snapshot five times a second. The main thread
 * pays for a snapshot and a message; layout, ANSI output and terminal back-pressure are the
 * dashboard thread's. If that thread fails, `onFailure` hears why and the run goes on.
 */
export function startDashboardThread(
  snapshot: () => DashboardSnapshot,
  controls: DashboardControls,
  stream: NodeJS.WriteStream,
  onFailure: (reason: string) => void,
): DashboardThread {
  const data: RenderThreadData = { fd: (stream as { fd?: number }).fd ?? 2, columns: stream.columns ?? 80, rows: stream.rows ?? 24, snapshot: snapshot() };
  const worker = new Worker(entryUrl(), { workerData: data, stdout: false, stderr: false });
  const send = (message: RenderMessage) => worker.postMessage(message);
  const timer = setInterval(() => send({ kind: 'snapshot', snapshot: snapshot() }), FRAME_MS);
  timer.unref();
  const onResize = () => send({ kind: 'resize', columns: stream.columns ?? 80, rows: stream.rows ?? 24 });
  stream.on('resize', onResize);
  const releaseKeys = listenForKeys(controls);
  let failed = false;
  worker.on('error', (error) => {
    failed = true;
    onFailure(error.message);
  });
  const ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()));

  let closing: Promise<void> | undefined;
  return {
    close: (last) =>
      (closing ??= (async () => {
        clearInterval(timer);
        stream.off('resize', onResize);
        releaseKeys();
        if (!failed) {
          const closed = new Promise<void>((resolve) => worker.on('message', (reply: RenderReply) => reply.kind === 'closed' && resolve()));
          send({ kind: 'close', snapshot: last });
          await Promise.race([closed, ended, delay(CLOSE_TIMEOUT_MS)]);
        }
        await worker.terminate();
      })()),
  };
}

/** Under tsx (development, tests) the thread needs the loader registered first; the package runs compiled JS. */
function entryUrl(): URL {
  return import.meta.url.endsWith('.ts') ? new URL('./dev-entry.mjs', import.meta.url) : new URL('./render-thread.js', import.meta.url);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
