import type { FileFailureCode } from '../failure-codes.ts';
import { eInvoiceAnswer } from '../profiles/einvoice-answer.ts';
import type { StepInput } from '../providers/provider.ts';
import { addUsage, type StepResult, type TokenUsage, ZERO_USAGE } from '../state/record.ts';
import type { SecondOpinion, StepPlan } from './step-plan.ts';
import { type Resolved, spentThisRun, type StepResolver } from './step-resolver.ts';

type Answer = Resolved & { ok: true };

/** The steps that answered a file: the one that gave its class, and the extraction if one was asked apart. */
export type Answered =
  | {
      readonly ok: true;
      readonly first: Answer;
      readonly extracted?: Answer;
      readonly passes: 0 | 1 | 2;
      readonly spentBefore: TokenUsage;
      /** `--e-invoice verify`: what the model answered for a file whose XML gave the answer. */
      readonly checkedAgainst?: Answered;
      /** The second opinion the answer earned by failing a check, and how asking it ended. */
      readonly secondOpinion?: AskedSecondOpinion;
    }
  | {
      readonly ok: false;
      readonly code: FileFailureCode;
      readonly message: string;
      readonly retryable: boolean;
      readonly label?: string;
      readonly confidence?: number;
      readonly usage: TokenUsage;
    };

export type AskedSecondOpinion = SecondOpinion & { readonly outcome: Resolved };

/** Asks a prepared file's questions in the way the plan says, each from the cache when it is there. */
export async function askSteps(sha256: string, input: StepInput, plan: StepPlan, runner: StepResolver): Promise<Answered> {
  if (plan.answersFromEInvoice(input.einvoice)) {
    const reading = input.einvoice;
    const read = await runner.resolve('classifying', plan.key(sha256, 'e-invoice'), { step: 'e-invoice' }, async () => ({
      ok: true,
      result: eInvoiceAnswer(plan.profile, reading),
    }));
    if (read.ok && plan.asksNoModelBeside(input.windowPages)) return { ok: true, first: read, passes: 0, spentBefore: ZERO_USAGE };
    if (read.ok) {
      // The XML stays the answer; the model's reading is what it is checked against, and its cost counts.
      const model = await askModel(sha256, input, plan, runner);
      const spent = model.ok
        ? [model.spentBefore, spentThisRun(model.first), ...(model.extracted ? [spentThisRun(model.extracted)] : [])].reduce(addUsage)
        : model.usage;
      return { ok: true, first: read, passes: 0, spentBefore: spent, checkedAgainst: model };
    }
  }
  const answer = await askModel(sha256, input, plan, runner);
  return answer.ok ? withSecondOpinion(sha256, input, plan, runner, answer) : answer;
}

/** A model's answer that failed a check, asked once more (the request names the checks); the record keeps whichever passes more. */
async function withSecondOpinion(sha256: string, input: StepInput, plan: StepPlan, runner: StepResolver, answer: Answered & { ok: true }): Promise<Answered> {
  const earned = plan.secondOpinionFor(sha256, answer.first.result, answer.extracted?.result);
  if (!earned) return answer;
  const outcome = await runner.resolve('extracting', earned.key, { step: 'extract', label: earned.label }, () =>
    plan.provider.secondOpinion!(input, earned.label, earned.failed),
  );
  return { ...answer, secondOpinion: { ...earned, outcome } };
}

/** The model's steps for a file: one pass, two, or one and a second, as the plan says. */
async function askModel(sha256: string, input: StepInput, plan: StepPlan, runner: StepResolver): Promise<Answered> {
  let spentBefore = ZERO_USAGE;
  if (plan.firstStep(sha256, runner.cache) === 'one-pass') {
    const first = await runner.withFallback((provider) =>
      runner.resolve('classifying', plan.key(sha256, 'one-pass', undefined, provider), { step: 'one-pass' }, () => provider.onePass(input)),
    );
    if (first.ok) return extractAfter(first, 'one-pass', sha256, input, plan, runner, spentBefore);
    // `auto` falls back to two passes when the one answer could not be made valid; its cost stays counted.
    if (!plan.retriesInTwoPasses(first.code)) return { ...first, usage: first.usage ?? ZERO_USAGE };
    spentBefore = first.usage ?? ZERO_USAGE;
  }
  const classified = await runner.withFallback((provider) =>
    runner.resolve('classifying', plan.key(sha256, 'classify', undefined, provider), { step: 'classify' }, () => provider.classify(input)),
  );
  if (!classified.ok) return { ...classified, usage: addUsage(spentBefore, classified.usage ?? ZERO_USAGE) };
  return extractAfter(classified, 'classify', sha256, input, plan, runner, spentBefore);
}

async function extractAfter(
  first: Answer,
  step: 'one-pass' | 'classify',
  sha256: string,
  input: StepInput,
  plan: StepPlan,
  runner: StepResolver,
  spentBefore: TokenUsage,
): Promise<Answered> {
  const label = plan.extractionAfter(step, first.result.label ?? 'other');
  if (label === undefined) return { ok: true, first, passes: step === 'one-pass' ? 1 : 2, spentBefore };
  const extracted = await runner.withFallback((provider) =>
    runner.resolve('extracting', plan.key(sha256, 'extract', label, provider), { step: 'extract', label }, () => provider.extract(input, label)),
  );
  if (extracted.ok) return { ok: true, first, extracted, passes: 2, spentBefore };
  const usage = [spentBefore, spentThisRun(first), extracted.usage ?? ZERO_USAGE].reduce(addUsage);
  return { ...extracted, label, ...(first.result.confidence === undefined ? {} : { confidence: first.result.confidence }), usage };
}
