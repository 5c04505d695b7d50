import type { TokenUsage } from './store.ts';

/** One output line per input file (JSONL, or a flattened CSV row). */
export interface FileRecord {
  readonly path: string;
  readonly sha256: string | null;
  readonly bytes: number | null;
  readonly pages: number | null;
  readonly status: 'done' | 'failed';
  readonly class: string | null;
  readonly confidence: number | null;
  readonly fields: Readonly<Record<string, unknown>> | null;
  /** gemini or offline when answered in this run, cache when every stage came from the cache. */
  readonly source: 'gemini' | 'cache' | 'offline' | null;
  readonly models: { readonly classify?: string; readonly extract?: string };
  /** What this run spent on the file (0 for cache hits). */
  readonly usage: TokenUsage;
  readonly error: { readonly code: string; readonly message: string } | null;
  /** With --fallback offline: the API failure the offline answer stands in for. */
  readonly apiError?: { readonly code: string; readonly message: string };
  readonly ms: number;
}
