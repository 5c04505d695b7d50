import type { MediaResolution, Tier } from '../models/catalogue.ts';

/**
 * Every default written once: the config schema applies them, the help text shows them. The ones
 * that need a reason carry it here.
 */
export const DEFAULTS = {
  /** Pages sent for classification (the first N). */
  pages: 5,
  /** Files above this size fail with FILE_TOO_LARGE without being read. */
  maxFileMb: 100,
  /** Per-file deadline for preparation. */
  taskTimeoutMs: 30_000,
  /**
   * PDFs, XML e-invoices, the photos and scans a finance team has besides (each sent as PDF pages),
   * and the mails and ZIP exports that hold them (each document inside answered on its own).
   */
  include: ['**/*.pdf', '**/*.xml', '**/*.{jpg,jpeg,png,tif,tiff,webp,heic,heif}', '**/*.{eml,msg,zip}'],
  tier: '1' as Tier,
  /**
   * gemini-3.5-flash-lite: Google's replacement for 2.5 Flash, the cheapest current model with no
   * shutdown date, and it thinks at MINIMAL by default (a label needs no thought).
   */
  classifyModel: 'gemini-3.5-flash-lite',
  /**
   * gemini-3.8-flash: Google's replacement for 2.5 Pro, at a quarter of 3.5 Flash's output price
   * until 2026-12-31 (half after), thinking at LOW.
   */
  extractModel: 'gemini-3.8-flash',
  /**
   * How finely each step reads its pages on Gemini 3 (tokens a PDF page costs: low 280, medium 560,
   * high 1,120): a label needs the layout and the headings, not the digits; amounts and dates must
   * be read exactly. 2.x models ignore it.
   */
  mediaResolution: { classify: 'low', extract: 'medium', 'one-pass': 'medium' } satisfies Record<string, MediaResolution>,
  /** Google counts quotas per minute. */
  quotaWindowMs: 60_000,
  inputMode: 'pdf',
  passes: '2',
  profile: 'finance',
  out: 'results.jsonl',
  db: '.docpool',
  serviceTier: 'standard',
  /** Per-request deadline; Flex answers within 1–15 minutes by Google's target, so its deadline is past that tail. */
  requestTimeoutMs: { standard: 120_000, flex: 20 * 60_000 },
  /** MB of PDF pages held for requests in flight: the bound on memory however wide the window. */
  maxInflightMb: 512,
  /** Attempts per request for 5xx, timeouts and resets. */
  maxAttempts: 6,
  /** First backoff step (full jitter, doubling, capped at 60 s). */
  retryBaseMs: 1000,
  /** Google raised the inline limit from 20 MB to 100 MB on 2026-01-12 (blog.google, "Gemini API: new file limits"). */
  maxInlineMb: 100,
  /** On a graceful stop, how long in-flight files may take to finish before their requests are cancelled. */
  drainTimeoutMs: 30_000,
  batchAttempts: 3,
  batchSize: 1000,
  batchLingerMs: 5000,
  batchPollMs: 30_000,
  /** An e-invoice's XML is the legally binding invoice: exact, and free to read. */
  eInvoice: 'prefer',
  /**
   * A file may hold several documents (a scanned month of receipts, an export of invoices): each is
   * found and answered on its own pages. Files of up to `splitPages` pages are not looked at, so they
   * cost what they did before; above it a page counter on every page settles it for free, and only
   * an uncounted file costs one request more.
   */
  split: 'auto',
  /**
   * 53 of the 60 readable real PDFs in the shared test corpus have at most 3 pages (invoices,
   * receipts, forms); bundles of receipts or invoices run longer.
   */
  splitPages: 3,
  /** Below this class confidence an answer is flagged for review (the emulator answers 0.9+; a real model's doubt shows well below). */
  reviewBelow: 0.5,
} as const;

export const DEFAULT_CLASSIFY_MODEL = DEFAULTS.classifyModel;
export const DEFAULT_EXTRACT_MODEL = DEFAULTS.extractModel;

/** The default config file looked for in the working directory. */
export const CONFIG_FILE = 'docpool.config.json';

/**
 * Node's timers hold at most 2^31 - 1 ms (~24.8 days); a larger delay fires after 1 ms, which would
 * time out every request at once. Refused with the bound named.
 */
export const MAX_TIMER_MS = 2_147_483_647;
