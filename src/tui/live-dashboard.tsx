/** @jsxRuntime automatic */
/** @jsxImportSource react */
// (tsx outside the project folder finds no tsconfig; the pragmas pin the JSX transform either way.)
import { render, useStdout } from 'ink';
import { useEffect, useState } from 'react';
import type { DashboardSnapshot } from '../main/progress/dashboard-feed.ts';
import { Dashboard } from './dashboard.tsx';
import { FRAME_MS } from './render-protocol.ts';

export interface LiveDashboard {
  /** Draws the last frame and leaves the screen to the summary. */
  close(): Promise<void>;
}

/**
 * Renders the dashboard on a terminal stream (stderr's: stdout stays free for data), reading the
 * latest snapshot each frame. Runs in the dashboard thread (render-thread.ts); keys are read on
 * the main thread.
 */
export function startDashboard(snapshot: () => DashboardSnapshot, stream: NodeJS.WriteStream, stdin: NodeJS.ReadStream): LiveDashboard {
  const instance = render(<App snapshot={snapshot} />, {
    stdout: stream,
    stdin,
    exitOnCtrlC: false, // Ctrl-C is the graceful stop, handled by the run like SIGINT
    patchConsole: false,
    maxFps: 5,
    // Erase and rewrite the whole frame each time. Ink's incremental writer rewrites only changed
    // lines, anchored by counting rows up from the bottom of the last frame, so any line the
    // terminal lays out differently from Ink's count shifts every later update and leaves stale
    // rows on screen (seen in tmux at 120×40). A frame of ~25 short lines costs little to rewrite.
    incrementalRendering: false,
  });
  // On a resize the terminal rewraps the last frame's rows, so Ink's erase (as many rows as the
  // frame had) no longer covers them, and Ink's own re-render would draw a frame still sized for
  // the old terminal. So, before Ink's handler: clear the visible screen, then redraw at once at
  // the new size (a synchronous re-render reads the new columns and rows).
  const clearOnResize = () => {
    stream.write('\x1b[2J\x1b[H');
    instance.rerender(<App snapshot={snapshot} />);
  };
  stream.prependListener('resize', clearOnResize);
  // Closed once: a second unmount would draw the last frame again, over the summary that follows.
  let closing: Promise<void> | undefined;
  return {
    close: () =>
      (closing ??= (async () => {
        // The last frame shows the final counts, not the last periodic sample (drawn synchronously).
        instance.rerender(<Dashboard snapshot={snapshot()} width={frameWidth(stream)} height={frameHeight(stream)} />);
        instance.unmount();
        stream.off('resize', clearOnResize);
        await instance.waitUntilExit().catch(() => {});
      })()),
  };
}

function App({ snapshot }: { snapshot: () => DashboardSnapshot }) {
  const [current, setCurrent] = useState(snapshot);
  const { stdout } = useStdout();
  useEffect(() => {
    const timer = setInterval(() => setCurrent(snapshot()), FRAME_MS);
    return () => clearInterval(timer);
  }, [snapshot]);
  return <Dashboard snapshot={current} width={frameWidth(stdout)} height={frameHeight(stdout)} />;
}

function frameWidth(stream: NodeJS.WriteStream): number {
  return Math.max(40, stream.columns ?? 80);
}

function frameHeight(stream: NodeJS.WriteStream): number {
  return Math.max(12, stream.rows ?? 24);
}
