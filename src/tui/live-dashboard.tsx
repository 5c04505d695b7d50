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
    // Rewrite only the lines that changed: most of the panel is steady between frames.
    incrementalRendering: true,
  });
  // Closed once: a second unmount would draw the last frame again, over the summary that follows.
  let closing: Promise<void> | undefined;
  return {
    close: () =>
      (closing ??= (async () => {
        instance.unmount();
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
  return <Dashboard snapshot={current} width={Math.max(40, stdout.columns ?? 80)} height={Math.max(12, stdout.rows ?? 24)} />;
}
