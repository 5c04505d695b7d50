import { createHash } from 'node:crypto';
import type { MediaResolution } from '../models/catalogue.ts';
import type { ThinkingSetting } from '../models/request-budget.ts';
import type { Step } from './record.ts';

/** Everything that changes a step's answer. A change to any of them must miss the cache. */
export interface FingerprintParts {
  readonly step: Step;
  readonly provider: 'gemini' | 'offline' | 'e-invoice';
  /** The service answering (its origin): an emulator's or a proxy's answers are not Google's. */
  readonly endpoint: string;
  readonly model: string;
  /** Thinking changes answers; undefined where the model's default applies. */
  readonly thinking?: ThinkingSetting;
  /** How finely the pages are read (Gemini 3); undefined for a model that reads them one way. */
  readonly mediaResolution?: MediaResolution;
  readonly instruction: string;
  readonly schema: unknown;
  readonly pageWindow: number;
  readonly inputMode: string;
  readonly profile: string;
  readonly profileVersion: number;
}

export function fingerprint(parts: FingerprintParts): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('hex').slice(0, 20);
}

/**
 * JSON with object keys sorted, so the same schema written in another key order (a profile file
 * read back through zod, say) gives the same fingerprint.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, child]) => child !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${canonicalJson(child)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** LMDB key of a step result: content hash, step, fingerprint (DESIGN §5). */
export function resultKey(sha256: string, step: Step, print: string): string {
  return `${sha256}:${step}:${print}`;
}

/**
 * A provider's fingerprints never change during a run, yet every file asks for them (about 2 % of
 * the main thread's time over 10,000 files when computed afresh): each is made once per key.
 */
export function rememberedFingerprint(cache: Map<string, string>, key: string, make: () => string): string {
  let value = cache.get(key);
  if (value === undefined) {
    value = make();
    cache.set(key, value);
  }
  return value;
}
