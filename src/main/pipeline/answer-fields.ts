import type { Profile } from '../profiles/profile.ts';
import type { StepResult } from '../state/record.ts';

/** The fields a file's record carries: from the extraction, or from the one-pass answer for an extract class. */
export function fieldsOf(profile: Profile, first: StepResult, extracted: StepResult | undefined): Readonly<Record<string, unknown>> | null {
  if (extracted) return extracted.fields ?? {};
  return profile.extract[first.label ?? 'other'] ? (first.fields ?? {}) : null;
}
