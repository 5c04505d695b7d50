import type { Profile } from '../profiles/profile.ts';
import { type CheckResult, runChecks } from './run-checks.ts';

/** What a record says of its answer's checks: each check, and whether (and why) a person should look at it. */
export interface Reviewed {
  readonly checks: readonly CheckResult[];
  readonly review: boolean;
  readonly reviewReasons?: readonly string[];
}

/** The kinds of a record's review reasons: the failed checks' rules, `duplicate`, `confidence` (each once). */
export function reviewKinds(reasons: readonly string[]): string[] {
  // A reason reads "rule: detail", "DUPLICATE_INVOICE: …" or "confidence 0.42 below 0.5".
  return [...new Set(reasons.map((text) => (text.startsWith('DUPLICATE_INVOICE') ? 'duplicate' : text.split(/[: ]/, 1)[0]!)))];
}

/** The profile's checks on a class's answer, and the confidence below which an answer is looked at anyway. */
export class AnswerChecks {
  constructor(
    private readonly profile: Profile,
    /** A class answered with less confidence than this is flagged for review. */
    readonly reviewBelow: number,
  ) {}

  /** Whether this class has checks at all (a second opinion can only be earned by failing one). */
  has(label: string): boolean {
    return (this.profile.checks?.[label]?.length ?? 0) > 0;
  }

  /** The checks that failed on these fields ([] when all held or none apply). */
  failed(label: string, fields: Readonly<Record<string, unknown>> | null): CheckResult[] {
    return this.run(label, fields).filter((check) => !check.ok);
  }

  run(label: string, fields: Readonly<Record<string, unknown>> | null): CheckResult[] {
    const specs = this.profile.checks?.[label];
    return specs && fields ? runChecks(specs, fields) : [];
  }

  /** The record's checks and review flag: a failed check, a low confidence, or a reason the caller adds (a duplicate). */
  review(label: string, fields: Readonly<Record<string, unknown>> | null, confidence: number | null, more: readonly string[] = []): Reviewed {
    const checks = this.run(label, fields);
    const reasons = [
      ...checks.filter((check) => !check.ok).map((check) => `${check.rule}: ${check.detail}`),
      ...(confidence !== null && confidence < this.reviewBelow ? [`confidence ${confidence.toFixed(2)} below ${this.reviewBelow}`] : []),
      ...more,
    ];
    return { checks, review: reasons.length > 0, ...(reasons.length > 0 ? { reviewReasons: reasons } : {}) };
  }
}
