import type { DashboardControls } from '../../tui/dashboard-keys.ts';
import { type DashboardThread, startDashboardThread } from '../../tui/dashboard-thread.ts';
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
  #dashboard: DashboardThread | undefined;
  #progress: NodeJS.Timeout | undefined;

  private constructor(sources: FeedSources) {
    this.feed = new DashboardFeed(sources);
  }

  static start(sources: FeedSources, controls: DashboardControls, options: LiveViewOptions): LiveView {
    const view = new LiveView(sources);
    const progressLines = () => {
      const every = options.progressEverySeconds * 1000;
      view.#progress = setInterval(
        () => options.stderr.write(`${formatProgressLine(sources.stats.snapshot(), sources.limiters(), sources.queue?.())}\n`),
        every,
      );
    };
    if (options.tui && options.stderr.isTTY) {
      view.#dashboard = startDashboardThread(
        () => view.feed.snapshot(),
        controls,
        options.stderr,
        (reason) => {
          view.#dashboard = undefined;
          options.stderr.write(`\ndocpool: the dashboard stopped (${reason}); progress lines from here on\n`);
          progressLines();
        },
      );
    } else {
      progressLines();
    }
    return view;
  }

  /** Whether the dashboard is drawn (it shows stop and pause itself; plain mode prints them). */
  get drawing(): boolean {
    return this.#dashboard !== undefined;
  }

  /**
   * "event loop p99 …, peak RSS …": what the run cost the machine, for the summary. The peak is
   * the kernel's (getrusage), so a spike between two samples is not missed.
   */
  healthLine(): string {
    return `  event loop p99 ${this.feed.eventLoopP99Ms().toFixed(1)} ms, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB over the run (dashboard ${this.drawing ? 'on' : 'off'})`;
  }

  /** Draws the last frame and gives the screen back; safe to call more than once. */
  async close(): Promise<void> {
    clearInterval(this.#progress);
    await this.#dashboard?.close(this.feed.snapshot());
    this.feed.close();
  }
}
