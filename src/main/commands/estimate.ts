import type { PrepareResult } from '../../workers/protocol.ts';
import { forEachBounded } from '../intake/bounded.ts';
import { limitsFor } from '../config/limits.ts';
import type { Config } from '../config/schema.ts';
import { discover } from '../intake/discover.ts';
import { expandContainers } from '../intake/expand-containers.ts';
import { pdfTokens, PRICES_AS_OF } from '../models/catalogue.ts';
import { Pricing, TIER_PRICE_FACTOR } from '../models/pricing.ts';
import { PreparePool, prepareTask } from '../pipeline/prepare-pool.ts';
import { expectedOutputTokens, REQUEST_SIZES } from '../models/request-budget.ts';
import { FailureTally } from '../progress/failure-tally.ts';
import { isSkip } from '../failure-codes.ts';
import { StepPlan } from '../pipeline/step-plan.ts';
import { geminiQuestions, splitAbove } from '../providers/choose-provider.ts';
import { GeminiFingerprints } from '../providers/gemini/gemini-fingerprints.ts';
import { loadProfile } from '../profiles/profile.ts';
import { count } from '../progress/numbers.ts';

export interface StepEstimate {
  readonly model: string;
  readonly requests: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Null when no price is known for the model (give one with --price): never guessed as $0. */
  readonly costUsd: number | null;
  /** The limits paced against; null where none is given or published (Google states it in its first 429 of a run). */
  readonly rpm: number | null;
  readonly tpm: number | null;
  /** Minutes the quota needs: the slower of the request and token budgets; null while the requests-per-minute limit is unknown. */
  readonly minutes: number | null;
}

/** One way to run the folder: passes and service tier. */
export interface ModeEstimate {
  readonly mode: 'two-pass standard' | 'one-pass standard' | 'one-pass flex' | 'one-pass batch' | 'two-pass batch';
  readonly flags: string;
  readonly requests: number;
  /** Null when a model has no known price. */
  readonly costUsd: number | null;
  /** Quota minutes of the binding model, plus the answer latency where it is minutes (Flex); for batch, Google's target (24 h a stage). Null when a quota is unknown. */
  readonly minutes: number | null;
  /** Batch mode: `minutes` is Google's turnaround target, not the quota's (jobs have a quota of their own). */
  readonly batch?: true;
  /** The model whose quota decides the time. */
  readonly bindingModel: string;
}

export interface FormatEstimate {
  readonly files: number;
  readonly windowPages: number;
  /** Classification and (predicted) extraction of these files; null when a model has no known price. */
  readonly costUsd: number | null;
}

export interface EstimateReport {
  /** Documents: every file, each document in a mail or archive, and each the page cues find in a bundle. */
  readonly files: number;
  /**
   * `--split auto`: files of more pages than the threshold that the page cues find several
   * documents in, those documents, and the split requests a run would ask (files whose pages are
   * not all counted: a run shows those to the model).
   */
  readonly split: { readonly files: number; readonly documents: number; readonly requests: number };
  readonly prepared: number;
  readonly failed: number;
  /** Matched files docpool does not read (an XML file that is no e-invoice): neither readable nor failed. */
  readonly skipped: number;
  /** Pages in all readable files. */
  readonly pages: number;
  /** Pages that would be sent (the first N of each file). */
  readonly windowPages: number;
  /** Files answered from their e-invoice XML (`--e-invoice prefer`): no request, $0, in no figure below. */
  readonly eInvoices: number;
  /**
   * Readable files by what they are (pdf, xml, jpeg, png, tiff, webp, heic, …): each kind's pages
   * sent and its share of the two-pass cost. Photos and scans are sent as PDF pages, so they cost
   * what a PDF page costs.
   */
  readonly byFormat: Readonly<Record<string, FormatEstimate>>;
  readonly failures: Readonly<Record<string, number>>;
  /** A few failed paths per code, so the user can look at them. */
  readonly failureExamples: Readonly<Record<string, readonly string[]>>;
  readonly classify: StepEstimate;
  /**
   * Extraction, for the files the offline rules expect to be in an extract class (image-only
   * files count as extracted: the rules cannot read them, so the estimate errs high).
   */
  readonly extract: StepEstimate & { readonly predictedByClass: Readonly<Record<string, number>> };
  /** Null when either model has no known price. */
  readonly totalCostUsd: number | null;
  /** Minutes the slower of the two models' quotas needs; the models run in parallel. Null when a quota is unknown. */
  readonly totalMinutes: number | null;
  /** The ways to run this folder, each with its requests, cost, time and the model whose quota binds it. */
  readonly modes: readonly ModeEstimate[];
  readonly pricesAsOf: string;
  readonly tier: string;
  readonly elapsedMs: number;
  /** Pages per second of local preparation (window pages opened and read). */
  readonly preparePagesPerSecond: number;
}

/**
 * Runs discovery and preparation over everything, with no API call, and prices a
 * classification pass at the configured model, tier and overrides.
 */
export async function estimate(paths: readonly string[], config: Config): Promise<EstimateReport> {
  const started = performance.now();
  const pool = PreparePool.forConfig(config);
  const failures = new FailureTally();
  let files = 0;
  let prepared = 0;
  let pages = 0;
  let eInvoices = 0;
  let onePassInputTokens = 0;
  const split = { files: 0, documents: 0, requests: 0 };
  const predictedByClass: Record<string, number> = {};
  // What each kind of file would ask; the folder's figures are their sums.
  const formats = new Map<string, RequestTally>();
  const profile = loadProfile(config.profile);
  const resolutions = config.mediaResolution;
  // The run's own step plan decides which files their e-invoice answers (it needs the questions, not a key).
  const plan = new StepPlan(new GeminiFingerprints(geminiQuestions(config, profile, {})), undefined, profile, config.passes, config.eInvoice);
  const readEInvoices = plan.readsEInvoices;
  let skipped = 0;
  try {
    // The window of files in flight is the pool's own capacity: enough to keep every thread busy.
    // A ZIP's or a mail's documents are counted one by one, as a run answers them.
    const documents = expandContainers(discover(paths, { include: config.include }), (path) =>
      pool.expand(prepareTask(config, path, { subset: false, rules: false })),
    );
    await forEachBounded(
      documents,
      config.workers * 3,
      async (item): Promise<PrepareResult | undefined> => {
        if (item.kind === 'error' || item.kind === 'container-failed') return undefined;
        if (item.kind === 'part' && item.part.problem) return { kind: 'failed', ...item.part.problem, ms: 0 };
        const part = item.kind === 'part' ? { part: item.part.index } : {};
        const splitting = splitAbove(config);
        return pool.prepare(
          prepareTask(config, item.path, {
            subset: false,
            rules: true,
            eInvoice: readEInvoices,
            ...part,
            ...(splitting === undefined ? {} : { splitAbove: splitting }),
          }),
        );
      },
      (result, item) => {
        files++;
        if (item.kind === 'error') return failures.add(item.code, item.path, item.message);
        if (item.kind === 'container-failed') return failures.add(item.failure.code, item.path, item.failure.message);
        if (result?.kind === 'failed' && isSkip(result.code)) return void skipped++;
        if (!result || result.kind === 'failed') return failures.add(result?.code ?? 'UNKNOWN', item.path, result?.message ?? '');
        prepared++;
        pages += result.pageCount;
        const format = formats.get(result.format) ?? emptyTally();
        formats.set(result.format, format);
        format.files++;
        if (plan.answersFromEInvoice(result.einvoice) && plan.asksNoModelBeside(result.windowPages)) return void eInvoices++;
        // A bundle: each document its cues find is asked like a file of its own; one the cues are unsure of is shown to the model first.
        const documents = result.bundle?.cues.ranges.length ?? 1;
        if (result.bundle && !result.bundle.cues.sure) {
          split.requests++;
          format.classify++;
          format.classifyTokens += pdfTokens(config.classifyModel, result.bundle.pages, resolutions.classify) + REQUEST_SIZES.split.promptTokens;
        }
        if (documents > 1) {
          split.files++;
          split.documents += documents;
          files += documents - 1;
          prepared += documents - 1;
        }
        // Each document's window: its first pages, as a run sends them.
        const windows =
          result.bundle && documents > 1 ? result.bundle.cues.ranges.map((range) => Math.min(config.pages, range.to - range.from + 1)) : [result.windowPages];
        const predicted = result.hasTextLayer && result.rules ? result.rules.label : 'unreadable without a model';
        predictedByClass[predicted] = (predictedByClass[predicted] ?? 0) + documents;
        for (const window of windows) {
          format.windowPages += window;
          format.classify++;
          format.classifyTokens += pdfTokens(config.classifyModel, window, resolutions.classify) + REQUEST_SIZES.classify.promptTokens;
          onePassInputTokens += pdfTokens(config.classifyModel, window, resolutions['one-pass']) + REQUEST_SIZES['one-pass'].promptTokens;
          if (!result.hasTextLayer || profile.extract[predicted]) {
            format.extract++;
            format.extractTokens += pdfTokens(config.extractModel, window, resolutions.extract) + REQUEST_SIZES.extract.promptTokens;
          }
        }
      },
    );
  } finally {
    await pool.close();
  }
  // E-invoices are answered from their XML: only the other readable files are asked (the tallies' `classify`).
  const total = [...formats.values()].reduce(addTallies, emptyTally());
  const { classify, extract } = twoPasses(config, total);
  const asked = total.classify;
  const windowPages = total.windowPages;
  // One pass answers a record only for an extract class; for the rest its answer is a label (the fields null).
  const onePassOutput =
    total.extract * expectedOutputTokens(config.classifyModel, 'one-pass') + (asked - total.extract) * expectedOutputTokens(config.classifyModel, 'classify');
  const onePass = stepEstimate(config, config.classifyModel, asked, onePassInputTokens, onePassOutput);
  const modes = compareModes(classify, extract, onePass);
  const byFormat = Object.fromEntries(
    [...formats].map(([name, format]) => {
      const steps = twoPasses(config, format);
      const costUsd = steps.classify.costUsd === null || steps.extract.costUsd === null ? null : steps.classify.costUsd + steps.extract.costUsd;
      return [name, { files: format.files, windowPages: format.windowPages, costUsd }];
    }),
  );
  const elapsedMs = performance.now() - started;
  const byCode = failures.entries();
  return {
    files,
    split,
    prepared,
    failed: files - prepared - skipped,
    skipped,
    pages,
    windowPages,
    eInvoices,
    byFormat,
    failures: Object.fromEntries(byCode.map(([code, entry]) => [code, entry.count])),
    failureExamples: Object.fromEntries(byCode.map(([code, entry]) => [code, entry.examples.map((example) => example.path)])),
    classify,
    extract: { ...extract, predictedByClass },
    totalCostUsd: classify.costUsd === null || extract.costUsd === null ? null : classify.costUsd + extract.costUsd,
    totalMinutes: slower(classify, extract).minutes,
    modes,
    pricesAsOf: PRICES_AS_OF,
    tier: config.tier,
    elapsedMs: Math.round(elapsedMs),
    preparePagesPerSecond: Math.round(windowPages / (elapsedMs / 1000)),
  };
}

/** What a set of files would ask: its classification and (predicted) extraction requests and their input tokens. */
interface RequestTally {
  files: number;
  windowPages: number;
  classify: number;
  classifyTokens: number;
  extract: number;
  extractTokens: number;
}

const emptyTally = (): RequestTally => ({ files: 0, windowPages: 0, classify: 0, classifyTokens: 0, extract: 0, extractTokens: 0 });

function addTallies(sum: RequestTally, tally: RequestTally): RequestTally {
  return {
    files: sum.files + tally.files,
    windowPages: sum.windowPages + tally.windowPages,
    classify: sum.classify + tally.classify,
    classifyTokens: sum.classifyTokens + tally.classifyTokens,
    extract: sum.extract + tally.extract,
    extractTokens: sum.extractTokens + tally.extractTokens,
  };
}

/** The two passes' steps for a tally: classification on the classify model, extraction on the extract model. */
function twoPasses(config: Config, tally: RequestTally): { classify: StepEstimate; extract: StepEstimate } {
  return {
    classify: stepEstimate(
      config,
      config.classifyModel,
      tally.classify,
      tally.classifyTokens,
      tally.classify * expectedOutputTokens(config.classifyModel, 'classify'),
    ),
    extract: stepEstimate(
      config,
      config.extractModel,
      tally.extract,
      tally.extractTokens,
      tally.extract * expectedOutputTokens(config.extractModel, 'extract'),
    ),
  };
}

/**
 * Two passes (classify everything on one model, extract some on another: the slower quota binds),
 * one pass (every file once, on the classification model), and one pass at Flex (half the price,
 * the same quota assumed, plus the minutes Flex takes to answer).
 */
function compareModes(classify: StepEstimate, extract: StepEstimate, onePass: StepEstimate): ModeEstimate[] {
  const sum = (...costs: Array<number | null>) => (costs.some((cost) => cost === null) ? null : costs.reduce<number>((total, cost) => total + cost!, 0));
  const twoPassBinding = slower(classify, extract);
  return [
    {
      mode: 'two-pass standard',
      flags: '--passes 2',
      requests: classify.requests + extract.requests,
      costUsd: sum(classify.costUsd, extract.costUsd),
      minutes: twoPassBinding.minutes,
      bindingModel: twoPassBinding.model,
    },
    {
      mode: 'one-pass standard',
      flags: '--passes 1',
      requests: onePass.requests,
      costUsd: onePass.costUsd,
      minutes: onePass.minutes,
      bindingModel: onePass.model,
    },
    {
      mode: 'one-pass flex',
      flags: '--passes 1 --service-tier flex',
      requests: onePass.requests,
      costUsd: onePass.costUsd === null ? null : onePass.costUsd * TIER_PRICE_FACTOR.flex,
      minutes: onePass.minutes === null ? null : onePass.minutes + FLEX_TYPICAL_MINUTES,
      bindingModel: onePass.model,
    },
    {
      mode: 'one-pass batch',
      flags: '--passes 1 --batch',
      requests: onePass.requests,
      costUsd: half(onePass.costUsd, 'batch'),
      minutes: BATCH_TARGET_MINUTES,
      bindingModel: onePass.model,
      batch: true,
    },
    {
      mode: 'two-pass batch',
      flags: '--batch',
      requests: classify.requests + extract.requests,
      costUsd: half(sum(classify.costUsd, extract.costUsd), 'batch'),
      // Extraction jobs follow their files' classifications: two turnarounds at worst.
      minutes: 2 * BATCH_TARGET_MINUTES,
      bindingModel: twoPassBinding.model,
      batch: true,
    },
  ];
}

/** The step whose quota binds two steps run side by side; an unknown quota binds (its time is unknown). */
function slower(a: StepEstimate, b: StepEstimate): StepEstimate {
  if (a.minutes === null || b.minutes === null) return a.minutes === null ? a : b;
  return b.minutes > a.minutes ? b : a;
}

const half = (cost: number | null, tier: 'batch') => (cost === null ? null : cost * TIER_PRICE_FACTOR[tier]);

/** The Batch API's turnaround target is 24 hours ("in most cases much quicker"). */
const BATCH_TARGET_MINUTES = 24 * 60;

/** Google's Flex target is 1–15 minutes per answer; a run pays about one typical answer's wait on top of its quota time. */
const FLEX_TYPICAL_MINUTES = 5;

function stepEstimate(config: Config, model: string, requests: number, inputTokens: number, outputTokens: number): StepEstimate {
  const { rpm, tpm } = limitsFor(config, model);
  // The steps are priced at the standard tier; the comparison prices the other tiers.
  const pricing = new Pricing(config.price);
  const costUsd = pricing.known(model) ? pricing.cost(model, inputTokens, outputTokens) : null;
  const minutes = rpm === undefined ? null : Math.max(requests / rpm, tpm === undefined ? 0 : inputTokens / tpm);
  return { model, requests, inputTokens, outputTokens, costUsd, rpm: rpm ?? null, tpm: tpm ?? null, minutes };
}

/** The human-readable report printed by `docpool estimate`. */
export function formatEstimate(report: EstimateReport): string {
  const lines = [
    `files       ${count(report.files)}  (${count(report.prepared)} readable, ${count(report.failed)} failed${report.skipped > 0 ? `, ${count(report.skipped)} skipped: XML that is no e-invoice` : ''})`,
    ...(report.split.files > 0 || report.split.requests > 0
      ? [
          `split       ${count(report.split.files)} files hold ${count(report.split.documents)} documents by their page cues (counted above); ${count(report.split.requests)} would be shown to the model to split (priced with classification)`,
        ]
      : []),
    `pages       ${count(report.pages)} in readable files; ${count(report.windowPages)} would be sent (first pages of each)`,
  ];
  if (report.eInvoices > 0) lines.push(`e-invoices  ${count(report.eInvoices)} answered from their XML: no request, $0, counted in nothing below`);
  for (const [code, files] of Object.entries(report.failures).sort((a, b) => b[1] - a[1])) {
    lines.push(`  ${code.padEnd(16)} ${count(files)}   e.g. ${report.failureExamples[code]?.[0] ?? ''}`);
  }
  const formats = Object.entries(report.byFormat).sort((a, b) => b[1].files - a[1].files);
  if (formats.length > 1) {
    lines.push('by kind     (photos and scans are sent as PDF pages)');
    for (const [name, format] of formats)
      lines.push(`  ${name.padEnd(9)} ${count(format.files).padStart(9)} files  ${count(format.windowPages).padStart(9)} pages sent  ${usd(format.costUsd)}`);
  }
  for (const [name, step] of [
    ['classify', report.classify],
    ['extract', report.extract],
  ] as const) {
    lines.push(
      `${name.padEnd(11)} ${step.model}: ${count(step.requests)} requests, ~${count(step.inputTokens)} input + ${count(step.outputTokens)} output tokens, ${usd(step.costUsd)}, ${quotaTime(step)}`,
    );
  }
  lines.push(
    `total       ${usd(report.totalCostUsd)} at prices of ${report.pricesAsOf}; ${report.totalMinutes === null ? 'time unknown' : `~${formatMinutes(report.totalMinutes)}`} at tier ${report.tier} (the two models run side by side)`,
    '',
    'ways to run it (same files, your quota):',
    ...report.modes.map(
      (mode) =>
        `  ${mode.mode.padEnd(18)} ${count(mode.requests).padStart(9)} requests  ${usd(mode.costUsd).padStart(9)}  ${
          mode.batch
            ? `within ${formatMinutes(mode.minutes ?? 0).padEnd(7)} Google's target, often much sooner; no per-minute quota`
            : mode.minutes === null
              ? `time unknown: ${mode.bindingModel}'s quota is not published`
              : `~${formatMinutes(mode.minutes).padEnd(9)} bound by ${mode.bindingModel}'s quota`
        }   ${mode.flags}`,
    ),
    '',
    `prepared in ${(report.elapsedMs / 1000).toFixed(1)} s (${count(report.preparePagesPerSecond)} pages/s); no API call was made`,
  );
  return lines.join('\n');
}

/** "~4.2 min at 1,000 requests/min and 1,000,000 tokens/min", or why the time is not known. */
function quotaTime(step: StepEstimate): string {
  if (step.minutes === null)
    return `time unknown: no requests/min limit is published for ${step.model} at this tier (a run learns it from Google's first 429; give --rpm ${step.model}=n to estimate)`;
  return `~${formatMinutes(step.minutes)} at ${count(step.rpm ?? 0)} requests/min${step.tpm === null ? '' : ` and ${count(step.tpm)} tokens/min`}`;
}

function usd(value: number | null): string {
  return value === null ? 'price unknown (give --price model=INPUT/OUTPUT)' : `~$${value.toFixed(2)}`;
}

function formatMinutes(minutes: number): string {
  if (minutes < 1) return `${Math.ceil(minutes * 60)} s`;
  if (minutes < 120) return `${minutes.toFixed(1)} min`;
  return `${(minutes / 60).toFixed(1)} h`;
}
