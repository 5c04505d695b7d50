import { rmSync } from 'node:fs';

/** What every chaos scenario reports: named checks (a promise kept or broken) and its figures. */

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** DESIGN §10's rows, by a short name: every scenario says which it exercises. */
export const DESIGN_ROWS = {
  damaged: 'corrupt, truncated, zero-page, empty, non-PDF, encrypted PDF',
  worker: 'worker crash or hang',
  transient: '429 / 5xx / timeout / reset',
  fatal: 'invalid key, model not found',
  budget: 'per-day quota exhausted, --max-cost reached',
  sigint: 'SIGINT / q',
  sigkill: 'SIGKILL, power loss',
  paths: 'unreadable path, symlink loop, file changed mid-run',
  flags: 'bad flag or config',
  csv: 'output CSV',
} as const;
export type DesignRow = (typeof DESIGN_ROWS)[keyof typeof DESIGN_ROWS];

export interface ScenarioReport {
  readonly scenario: string;
  /** The DESIGN §10 rows this scenario exercises. */
  readonly rows: readonly DesignRow[];
  /** Figures for the summary table, in the order they should be shown. */
  readonly figures: Readonly<Record<string, number | string>>;
  readonly checks: readonly CheckResult[];
  readonly seconds: number;
}

export class Checks {
  readonly results: CheckResult[] = [];

  constructor(private readonly scenario: string) {}

  /** Records one promise; a broken one is printed at once, so a long suite shows it early. */
  that(name: string, ok: boolean, detail = ''): boolean {
    this.results.push({ name, ok, detail });
    if (!ok) process.stderr.write(`  FAILED ${this.scenario}: ${name}${detail ? ` (${detail})` : ''}\n`);
    return ok;
  }

  get failed(): number {
    return this.results.filter((check) => !check.ok).length;
  }
}

/** Node's own crash and warning output: none may ever reach a user's terminal. */
const CRASH_SIGNS = /Unhandled|uncaught|\n\s+at .+:\d+:\d+\)?\n|Warning:|FATAL|Segmentation fault|Aborted \(core/;

export function crashSignIn(stderr: string): string | undefined {
  return CRASH_SIGNS.exec(stderr)?.[0].trim();
}

/** Scenario folders can hold 100,000 files; each is removed when its scenario ends (best effort). */
export function removeScratch(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // a mode-000 folder left by the unreadable-path case, when not run as root
  }
}
