import type { DashboardControls, LiveDashboard } from '../../tui/live-dashboard.tsx';
import { DashboardFeed, type FeedSources } from './dashboard-feed.ts';
import { formatProgressLine } from './run-summary.ts';

export interface LiveViewOptions {
  readonly stderr: NodeJS.WriteStream;
  /** Draw the dashboard when stderr is a terminal; else (or when false) plain progress lines. */
  readonly tui: boolean;
  /** Seconds between plain progress lines. */
  readonly progressEverySeconds: number;
}

/**
 * What the user watches during a run: the dashboard on a terminal, else a progress line every
 * few seconds; and the run's own health (peak RSS, event-loop delay) for the closing summary.
 */
export class LiveView {
  readonly feed: DashboardFeed;
  #dashboard: LiveDashboard | undefined;
  #progress: NodeJS.Timeout | undefined;
  #peakRss = process.memoryUsage.rss();
  readonly #memory = setInterval(() => (this.#peakRss = Math.max(this.#peakRss, process.memoryUsage.rss())), 250);

  private constructor(sources: FeedSources) {
    this.feed = new DashboardFeed(sources);
    this.#memory.unref();
  }

  static async start(sources: FeedSources, controls: DashboardControls, options: LiveViewOptions): Promise<LiveView> {
    const view = new LiveView(sources);
    if (options.tui && options.stderr.isTTY) {
      view.#dashboard = (await loadDashboard()).startDashboard(() => view.feed.snapshot(), controls, options.stderr);
    } else {
      const every = options.progressEverySeconds * 1000;
      view.#progress = setInterval(() => options.stderr.write(`${formatProgressLine(sources.stats.snapshot())}\n`), every);
    }
    return view;
  }

  /** Whether the dashboard is drawn (it shows stop and pause itself; plain mode prints them). */
  get drawing(): boolean {
    return this.#dashboard !== undefined;
  }

  /** "event loop p99 …, peak RSS …": what the run cost the machine, for the summary. */
  healthLine(): string {
    return `  event loop p99 ${this.feed.eventLoopP99Ms().toFixed(1)} ms, peak RSS ${Math.round(this.#peakRss / 1024 / 1024)} MB over the run (dashboard ${this.drawing ? 'on' : 'off'})`;
  }

  /** Draws the last frame and gives the screen back; safe to call more than once. */
  async close(): Promise<void> {
    clearInterval(this.#progress);
    clearInterval(this.#memory);
    await this.#dashboard?.close();
    this.feed.close();
  }
}

/**
 * Ink and React load only when the dashboard is drawn, and in React's production build unless
 * NODE_ENV says otherwise: the development build doubles each frame's cost (measured 9.6 → 4.9 ms),
 * which the main thread pays between pipeline events.
 */
async function loadDashboard(): Promise<typeof import('../../tui/live-dashboard.tsx')> {
  process.env.NODE_ENV ??= 'production';
  return import('../../tui/live-dashboard.tsx');
}
