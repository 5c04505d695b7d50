/**
 * The dashboard's own thread: Ink and React lay out and write every frame here, to the terminal's
 * file descriptor directly. A terminal write blocks while the terminal is slow to read (Node writes
 * to a TTY synchronously); here that stalls only this thread, never the run's main thread.
 */
import { PassThrough } from 'node:stream';
import { WriteStream } from 'node:tty';
import { parentPort, workerData } from 'node:worker_threads';
import type { RenderMessage, RenderReply, RenderThreadData } from './render-protocol.ts';

// React's development build doubles each frame's cost (measured 9.6 → 4.9 ms); this thread's env is its own copy.
process.env.NODE_ENV ??= 'production';
const { startDashboard } = await import('./live-dashboard.tsx');

const data = workerData as RenderThreadData;
const terminal = new WriteStream(data.fd);
terminal.columns = data.columns;
terminal.rows = data.rows;
let latest = data.snapshot;
// Keys are read on the main thread; Ink here gets an input that never speaks.
const dashboard = startDashboard(() => latest, terminal, new PassThrough() as unknown as NodeJS.ReadStream);

parentPort!.on('message', (message: RenderMessage) => {
  if (message.kind === 'snapshot') {
    latest = message.snapshot;
  } else if (message.kind === 'resize') {
    // Only the main thread hears SIGWINCH: it passes the new size on.
    terminal.columns = message.columns;
    terminal.rows = message.rows;
    terminal.emit('resize');
  } else {
    latest = message.snapshot;
    void dashboard.close().then(() => parentPort!.postMessage({ kind: 'closed' } satisfies RenderReply));
  }
});
