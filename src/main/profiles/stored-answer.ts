import { z } from 'zod';
import type { Step, StepResult } from '../state/record.ts';
import type { Profile } from './profile.ts';
import { splitAnswerProblem } from '../pipeline/split-documents.ts';

/** What a step's answer must be: the step it answers and, for an extraction, the class whose fields it holds. */
export interface ExpectedAnswer {
  readonly step: Step;
  readonly label?: string;
}

const usageSchema = z.object({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  thinking: z.number().nonnegative(),
  costUsd: z.number().nonnegative(),
});

const stepResultSchema = z.object({
  step: z.enum(['classify', 'extract', 'one-pass', 'e-invoice', 'split']),
  source: z.enum(['gemini', 'offline', 'e-invoice']),
  model: z.string().min(1),
  label: z.string().optional(),
  confidence: z.number().min(0).max(1).optional(),
  fields: z.record(z.string(), z.unknown()).optional(),
  usage: usageSchema,
  at: z.number(),
});

/**
 * Why a stored answer cannot be served for this profile and step, or undefined when it can. An
 * answer read back from the state folder (or sent by another process) is data from outside this
 * run: an edited, damaged or foreign record must be asked again, never served (a class the
 * profile does not have would otherwise reach the results file as if Gemini had said it).
 */
export function storedAnswerProblem(profile: Profile, expected: ExpectedAnswer, value: unknown): string | undefined {
  const parsed = stepResultSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return `${issue.path.join('.') || 'the record'}: ${issue.message}`;
  }
  const result = parsed.data;
  if (result.step !== expected.step) return `it answers the ${result.step} step, not ${expected.step}`;
  if (result.step === 'split') return splitAnswerProblem(result.fields);
  if (result.step !== 'extract') {
    if (result.label === undefined || !profile.classes.some((entry) => entry.name === result.label))
      return `its class ${JSON.stringify(result.label)} is not one of the profile's classes`;
  }
  const fieldsLabel = result.step === 'extract' ? expected.label : result.label;
  const entry = fieldsLabel === undefined ? undefined : profile.extract[fieldsLabel];
  if (entry && result.fields !== undefined) {
    // Gemini's answers were held to the schema when they came; the offline rules and an e-invoice fill each field or leave it null.
    if (result.source === 'gemini') {
      const checked = profile.validateFields[fieldsLabel!]!.safeParse(result.fields);
      if (!checked.success) {
        const issue = checked.error.issues[0]!;
        return `its ${fieldsLabel} field ${issue.path.join('.') || '(all)'}: ${issue.message}`;
      }
    } else {
      const unknown = Object.keys(result.fields).find((name) => !Object.hasOwn(entry.schema.properties ?? {}, name));
      if (unknown !== undefined) return `its ${fieldsLabel} fields hold ${JSON.stringify(unknown)}, which the profile does not ask for`;
    }
  }
  if (result.step === 'extract' && result.fields === undefined) return 'an extraction without fields';
  return undefined;
}

/** The stored answer when it can be served for this step, else undefined (it is asked again). */
export function servableAnswer(profile: Profile, expected: ExpectedAnswer, value: StepResult | undefined): StepResult | undefined {
  if (value === undefined) return undefined;
  return storedAnswerProblem(profile, expected, value) === undefined ? value : undefined;
}
