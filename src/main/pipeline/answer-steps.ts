import type { Profile } from '../profiles/profile.ts';
import { servableAnswer } from '../profiles/stored-answer.ts';
import type { Provider, StepInput } from '../providers/provider.ts';
import { resultKey } from '../state/fingerprint.ts';
import { addUsage, type StepResult, type TokenUsage, ZERO_USAGE } from '../state/record.ts';
import type { Store } from '../state/store.ts';
import { type Resolved, spentThisRun, type StepResolver } from './step-resolver.ts';

/**
 * How many requests a file takes: `2` classifies, then extracts the classes that matter (on the
 * extraction model); `1` asks for the class and the fields in one request (on the classification
 * model); `auto` asks once, then again on the extraction model for the classes the profile marks
 * `secondPass`, or when the one answer was not valid.
 */
export type Passes = '1' | '2' | 'auto';

type Answer = Resolved & { ok: true };

/** The steps that answered a file: the one that gave its class, and the extraction if one was asked apart. */
export type Answered =
  | { readonly ok: true; readonly first: Answer; readonly extracted?: Answer; readonly passes: 1 | 2; readonly spentBefore: TokenUsage }
  | {
      readonly ok: false;
      readonly code: string;
      readonly message: string;
      readonly retryable: boolean;
      readonly label?: string;
      readonly confidence?: number;
      readonly usage: TokenUsage;
    };

/** Asks a prepared file's questions in the way `passes` says, each from the cache when it is there. */
export async function askSteps(sha256: string, input: StepInput, passes: Passes, profile: Profile, runner: StepResolver): Promise<Answered> {
  let spentBefore = ZERO_USAGE;
  if (passes !== '2') {
    const first = await runner.withFallback((provider) =>
      runner.resolve('classifying', resultKey(sha256, 'one-pass', provider.onePassFingerprint()), { step: 'one-pass' }, () => provider.onePass(input)),
    );
    if (first.ok) {
      const label = first.result.label ?? 'other';
      if (passes === '1' || !profile.secondPass?.includes(label)) return { ok: true, first, passes: 1, spentBefore };
      return extractAfter(first, sha256, input, profile, runner, spentBefore);
    }
    // `auto` falls back to two passes when the one answer could not be made valid; its cost stays counted.
    if (passes === '1' || first.code !== 'MODEL_OUTPUT_INVALID') return { ...first, usage: first.usage ?? ZERO_USAGE };
    spentBefore = first.usage ?? ZERO_USAGE;
  }
  const classified = await runner.withFallback((provider) =>
    runner.resolve('classifying', resultKey(sha256, 'classify', provider.classifyFingerprint()), { step: 'classify' }, () => provider.classify(input)),
  );
  if (!classified.ok) return { ...classified, usage: addUsage(spentBefore, classified.usage ?? ZERO_USAGE) };
  return extractAfter(classified, sha256, input, profile, runner, spentBefore);
}

async function extractAfter(
  first: Answer,
  sha256: string,
  input: StepInput,
  profile: Profile,
  runner: StepResolver,
  spentBefore: TokenUsage,
): Promise<Answered> {
  const label = first.result.label ?? 'other';
  if (!profile.extract[label]) return { ok: true, first, passes: 2, spentBefore };
  const extracted = await runner.withFallback((provider) =>
    runner.resolve('extracting', resultKey(sha256, 'extract', provider.extractFingerprint(label)), { step: 'extract', label }, () =>
      provider.extract(input, label),
    ),
  );
  if (extracted.ok) return { ok: true, first, extracted, passes: 2, spentBefore };
  const usage = [spentBefore, spentThisRun(first), extracted.usage ?? ZERO_USAGE].reduce(addUsage);
  return { ...extracted, label, ...(first.result.confidence === undefined ? {} : { confidence: first.result.confidence }), usage };
}

/** A file's answers when every one of them is in the cache (the stat cache's way to skip reading it), else undefined. */
export function cachedSteps(
  sha256: string,
  passes: Passes,
  profile: Profile,
  provider: Provider,
  store: Store,
): { first: StepResult; extracted?: StepResult; passes: 1 | 2 } | undefined {
  const extractOf = (first: StepResult): { first: StepResult; extracted?: StepResult; passes: 1 | 2 } | undefined => {
    const label = first.label ?? 'other';
    if (!profile.extract[label]) return { first, passes: 2 };
    const extracted = servableAnswer(profile, { step: 'extract', label }, store.getResult(resultKey(sha256, 'extract', provider.extractFingerprint(label))));
    return extracted ? { first, extracted, passes: 2 } : undefined;
  };
  if (passes !== '2') {
    const one = servableAnswer(profile, { step: 'one-pass' }, store.getResult(resultKey(sha256, 'one-pass', provider.onePassFingerprint())));
    if (one) return passes === '1' || !profile.secondPass?.includes(one.label ?? 'other') ? { first: one, passes: 1 } : extractOf(one);
    if (passes === '1') return undefined;
  }
  const classified = servableAnswer(profile, { step: 'classify' }, store.getResult(resultKey(sha256, 'classify', provider.classifyFingerprint())));
  return classified ? extractOf(classified) : undefined;
}

/** The fields a file's record carries: from the extraction, or from the one-pass answer for an extract class. */
export function fieldsOf(profile: Profile, first: StepResult, extracted: StepResult | undefined): Readonly<Record<string, unknown>> | null {
  if (extracted) return extracted.fields ?? {};
  return profile.extract[first.label ?? 'other'] ? (first.fields ?? {}) : null;
}
