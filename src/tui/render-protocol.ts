import type { DashboardSnapshot } from '../main/progress/dashboard-feed.ts';

/** Five frames a second: smooth to the eye for numbers that change every second. The main thread sends a snapshot as often. */
export const FRAME_MS = 200;

/** What the dashboard thread is started with. */
export interface RenderThreadData {
  /** The terminal's file descriptor (stderr's): the thread writes frames to it itself. */
  readonly fd: number;
  readonly columns: number;
  readonly rows: number;
  readonly snapshot: DashboardSnapshot;
}

/** Main thread → dashboard thread. */
export type RenderMessage =
  | { readonly kind: 'snapshot'; readonly snapshot: DashboardSnapshot }
  | { readonly kind: 'resize'; readonly columns: number; readonly rows: number }
  /** Draw this last frame, give the screen back, then say `closed`. */
  | { readonly kind: 'close'; readonly snapshot: DashboardSnapshot };

/** Dashboard thread → main thread. */
export type RenderReply = { readonly kind: 'closed' };
