import type { FileRecord } from '../state/record.ts';
import type { Store } from '../state/store.ts';
import type { RunStats } from '../progress/run-stats.ts';
import type { StepFingerprints } from '../providers/provider.ts';
import type { FileStat, RouteOutcome } from './answer-route.ts';
import { answerOf, record } from './file-record.ts';
import { rangeIdentity, rangesOf } from './split-documents.ts';
import type { StepPlan } from './step-plan.ts';

/**
 * Answers found without reading a file: by its stat (unchanged since it was hashed), by a part's
 * hash from its container's listing, by a split's pages; each only when every step these settings
 * ask has its answer in the cache.
 */

/** What the lookups read: the run's plan, the store, and the stats that count the hits. */
export interface CacheParts {
  readonly plan: StepPlan<StepFingerprints>;
  readonly store: Store;
  readonly stats: RunStats;
}

/** The stat cache trusts a hash only for files last modified this long before it was taken (git's racy-clean rule). */
const RACY_MS = 2000;

/**
 * An unchanged file (same size, mtime, ctime and inode as when it was hashed, and hashed well
 * after its last change) whose answers are all cached needs no reading at all: a 10,000-file re-run is
 * then bound by stat and LMDB reads, not by hashing.
 */
export function answerFromStatCache(path: string, stat: FileStat, options: CacheParts, started: number): RouteOutcome | undefined {
  const facts = options.store.getFile(path);
  if (!facts || !sameStat(facts, stat) || facts.hashedAt - Math.max(facts.mtimeMs, facts.ctimeMs ?? 0) < RACY_MS) return undefined;
  return cachedOutcome(path, facts.sha256, facts.size, facts.pages, options, started);
}

/**
 * A content's answers from the cache alone: its record when every step the settings ask of it has
 * an answer; the documents it holds when it was split (each then looked up on its own); undefined
 * when anything is missing, a split included (a file that may hold several documents is read).
 */
export function cachedOutcome(
  path: string,
  sha256: string,
  bytes: number,
  pages: number | null,
  options: CacheParts,
  started: number,
): RouteOutcome | undefined {
  const plan = options.plan;
  // A part's pages are known only once read: its stored split says (every part, and every file above the threshold, read under --split auto has one).
  if (plan.splitAbove !== undefined && (pages === null || plan.splits(pages))) {
    const split = plan.storedSplit(sha256, options.store);
    if (!split) return undefined;
    const ranges = rangesOf(split);
    if (ranges.length > 1) return { kind: 'split', sha256, bytes, ranges };
  }
  return cachedRecord(path, sha256, bytes, pages, options, started);
}

/** The record made of cached answers alone, when every step the settings ask of this content (or these pages of it) has one. */
export function cachedRecord(
  path: string,
  sha256: string,
  bytes: number,
  pages: number | null,
  options: CacheParts,
  started: number,
  range?: { readonly from: number; readonly to: number },
): FileRecord | undefined {
  const cached = options.plan.cached(range ? rangeIdentity(sha256, range) : sha256, options.store);
  if (!cached) return undefined;
  const { first, extracted, second } = cached;
  options.stats.statHit();
  return record(path, started, {
    status: 'done',
    sha256,
    bytes,
    pages,
    ...answerOf(options.plan, first, extracted, second),
    ...(first.eInvoice ? { eInvoice: first.eInvoice } : {}),
    cached: true,
    passes: second ? ((cached.passes + 1) as 2 | 3) : cached.passes,
  });
}

/** What git compares: a file rewritten in place with its mtime put back still has a new ctime. */
export function sameStat(
  a: { readonly size: number; readonly mtimeMs: number; readonly ctimeMs?: number; readonly ino: number } | null | undefined,
  b: FileStat,
): boolean {
  return !!a && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;
}
