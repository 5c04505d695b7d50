/** @jsxRuntime automatic */
/** @jsxImportSource react */
// (tsx outside the project folder finds no tsconfig; the pragmas pin the JSX transform either way.)
import { render, useInput, useStdin, useStdout } from 'ink';
import { useEffect, useState } from 'react';
import type { DashboardSnapshot } from '../main/progress/dashboard-feed.ts';
import { Dashboard } from './dashboard.tsx';

export interface DashboardControls {
  readonly togglePause: () => void;
  /** +1 or -1: one step of API concurrency up or down. */
  readonly changeConcurrency: (direction: 1 | -1) => void;
  readonly stop: () => void;
}

export interface LiveDashboard {
  /** Draws the last frame and leaves the screen to the summary. */
  close(): Promise<void>;
}

/**
 * Five frames a second: smooth to the eye for numbers that change every second, and half the
 * layout work of 10 fps on the main thread, which also runs the pipeline (measured: event-loop
 * p99 is what the dashboard costs the run).
 */
const FRAME_MS = 200;

/** Renders the dashboard on stderr (stdout stays free for data), reading a fresh snapshot each frame. */
export function startDashboard(snapshot: () => DashboardSnapshot, controls: DashboardControls, stream: NodeJS.WriteStream = process.stderr): LiveDashboard {
  const instance = render(<App snapshot={snapshot} controls={controls} />, {
    stdout: stream,
    stdin: process.stdin,
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
    instance.rerender(<App snapshot={snapshot} controls={controls} />);
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

function App({ snapshot, controls }: { snapshot: () => DashboardSnapshot; controls: DashboardControls }) {
  const [current, setCurrent] = useState(snapshot);
  const { stdout } = useStdout();
  // Keys need a terminal on stdin; piped input still gets the picture, and Ctrl-C still stops.
  const { isRawModeSupported } = useStdin();
  useEffect(() => {
    const timer = setInterval(() => setCurrent(snapshot()), FRAME_MS);
    return () => clearInterval(timer);
  }, [snapshot]);
  useInput((input, key) => {
    if (input === 'p') controls.togglePause();
    else if (input === '+' || input === '=') controls.changeConcurrency(1);
    else if (input === '-') controls.changeConcurrency(-1);
    else if (input === 'q' || (key.ctrl && input === 'c')) controls.stop();
  }, { isActive: isRawModeSupported });
  return <Dashboard snapshot={current} width={frameWidth(stdout)} height={frameHeight(stdout)} />;
}

function frameWidth(stream: NodeJS.WriteStream): number {
  return Math.max(40, stream.columns ?? 80);
}

function frameHeight(stream: NodeJS.WriteStream): number {
  return Math.max(12, stream.rows ?? 24);
}
