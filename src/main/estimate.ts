import type { PrepareResult } from '../workers/protocol.ts';
import { forEachBounded } from './bounded.ts';
import { type Config, limitsFor } from './config.ts';
import { discover } from './discover.ts';
import { PRICES_AS_OF, priceTokens } from './models.ts';
import { PreparePool } from './prepare-pool.ts';

/** Prompt and instruction tokens a classification request adds to the document itself. */
export const CLASSIFY_PROMPT_TOKENS = 180;
/** A classification answer is a label and a confidence in JSON; thinking is switched off for it. */
export const CLASSIFY_OUTPUT_TOKENS = 25;

export interface EstimateReport {
  readonly files: number;
  readonly prepared: number;
  readonly failed: number;
  /** Pages in all readable files. */
  readonly pages: number;
  /** Pages that would be sent (the first N of each file). */
  readonly windowPages: number;
  readonly failures: Readonly<Record<string, number>>;
  /** A few failed paths per code, so the user can look at them. */
  readonly failureExamples: Readonly<Record<string, readonly string[]>>;
  readonly classify: {
    readonly model: string;
    readonly requests: number;
    readonly inputTokens: number;
    readonly outputTokens: number;
    readonly costUsd: number;
    readonly rpm: number;
    readonly tpm: number;
    /** Minutes the quota needs: the slower of the request and token budgets. */
    readonly minutes: number;
  };
  readonly pricesAsOf: string;
  readonly tier: string;
  readonly elapsedMs: number;
  /** Pages per second of local preparation (window pages opened and read). */
  readonly preparePagesPerSecond: number;
}

const EXAMPLES_PER_CODE = 3;

/**
 * Runs discovery and preparation over everything, with no API call, and prices a
 * classification pass at the configured model, tier and overrides.
 */
export async function estimate(paths: readonly string[], config: Config): Promise<EstimateReport> {
  const started = performance.now();
  const pool = new PreparePool({ workers: config.workers, taskTimeoutMs: config.taskTimeoutMs });
  const failures: Record<string, number> = {};
  const failureExamples: Record<string, string[]> = {};
  let files = 0;
  let prepared = 0;
  let pages = 0;
  let windowPages = 0;
  let inputTokens = 0;
  const fail = (code: string, path: string) => {
    failures[code] = (failures[code] ?? 0) + 1;
    const examples = (failureExamples[code] ??= []);
    if (examples.length < EXAMPLES_PER_CODE) examples.push(path);
  };
  const task = { pageWindow: config.pages, maxFileBytes: config.maxFileMb * 1024 * 1024, buildSubset: false };
  try {
    // The window of files in flight is the pool's own capacity: enough to keep every thread busy.
    await forEachBounded(
      discover(paths, { include: config.include }),
      config.workers * 3,
      async (item): Promise<PrepareResult | undefined> => (item.kind === 'file' ? pool.prepare({ path: item.path, ...task }) : undefined),
      (result, item) => {
        files++;
        if (item.kind === 'error') return fail(item.code, item.path);
        if (!result || result.kind === 'failed') return fail(result?.code ?? 'UNKNOWN', item.path);
        prepared++;
        pages += result.pageCount;
        windowPages += result.windowPages;
        inputTokens += result.tokens.pdf + CLASSIFY_PROMPT_TOKENS;
      },
    );
  } finally {
    await pool.close();
  }
  const model = config.classifyModel;
  const { rpm, tpm } = limitsFor(config, model);
  const outputTokens = prepared * CLASSIFY_OUTPUT_TOKENS;
  const elapsedMs = performance.now() - started;
  return {
    files,
    prepared,
    failed: files - prepared,
    pages,
    windowPages,
    failures,
    failureExamples,
    classify: {
      model,
      requests: prepared,
      inputTokens,
      outputTokens,
      costUsd: priceTokens(model, inputTokens, outputTokens),
      rpm,
      tpm,
      minutes: Math.max(prepared / rpm, inputTokens / tpm),
    },
    pricesAsOf: PRICES_AS_OF,
    tier: config.tier,
    elapsedMs: Math.round(elapsedMs),
    preparePagesPerSecond: Math.round(windowPages / (elapsedMs / 1000)),
  };
}

/** The human-readable report printed by `docpool estimate`. */
export function formatEstimate(report: EstimateReport): string {
  const number = (value: number) => value.toLocaleString('en-US');
  const lines = [
    `files       ${number(report.files)}  (${number(report.prepared)} readable, ${number(report.failed)} failed)`,
    `pages       ${number(report.pages)} in readable files; ${number(report.windowPages)} would be sent (first pages of each)`,
  ];
  for (const [code, count] of Object.entries(report.failures).sort((a, b) => b[1] - a[1])) {
    lines.push(`  ${code.padEnd(16)} ${number(count)}   e.g. ${report.failureExamples[code]?.[0] ?? ''}`);
  }
  const c = report.classify;
  lines.push(
    `classify    ${c.model}: ${number(c.requests)} requests, ~${number(c.inputTokens)} input + ${number(c.outputTokens)} output tokens`,
    `cost        ~$${c.costUsd.toFixed(2)} at prices of ${report.pricesAsOf} (extraction not included yet)`,
    `time        ~${formatMinutes(c.minutes)} at tier ${report.tier}: ${number(c.rpm)} requests/min, ${number(c.tpm)} tokens/min`,
    `prepared in ${(report.elapsedMs / 1000).toFixed(1)} s (${number(report.preparePagesPerSecond)} pages/s); no API call was made`,
  );
  return lines.join('\n');
}

function formatMinutes(minutes: number): string {
  if (minutes < 1) return `${Math.ceil(minutes * 60)} s`;
  if (minutes < 120) return `${minutes.toFixed(1)} min`;
  return `${(minutes / 60).toFixed(1)} h`;
}
