import type { Step } from '../state/record.ts';
import { modelInfo, pdfTokens } from './catalogue.ts';
import type { Pricing } from './pricing.ts';

/**
 * The size of docpool's requests and answers, and the thinking each model is given: the one place
 * the Gemini provider (what it asks for), `estimate` and `--max-cost` (what they price) read it.
 */
export const REQUEST_SIZES: Readonly<Record<Step, { readonly promptTokens: number; readonly typicalAnswerTokens: number; readonly maxAnswerTokens: number }>> = {
  /** Instructions plus the class list; the answer is a label and a confidence in JSON. */
  classify: { promptTokens: 180, typicalAnswerTokens: 25, maxAnswerTokens: 256 },
  /** Instructions; the answer is one record, line items included. */
  extract: { promptTokens: 120, typicalAnswerTokens: 350, maxAnswerTokens: 4096 },
  /** The class list and every extract class's instructions; the answer is a label plus one record (others null). */
  'one-pass': { promptTokens: 420, typicalAnswerTokens: 400, maxAnswerTokens: 4352 },
};

/** What a model that cannot stop thinking is given: enough to reason over a table, not a novel. */
const REQUIRED_THINKING_TOKENS = 1024;
/** Room left for the thought of a model docpool has no facts for (it thinks by its own default). */
const UNKNOWN_MODEL_THINKING_TOKENS = 8192;

export interface OutputBudget {
  /** `thinkingConfig.thinkingBudget`, or undefined to leave the model's default (an unknown model). */
  readonly thinkingBudget: number | undefined;
  /** Thinking counts against maxOutputTokens, so this is the answer's room plus the thinking budget. */
  readonly maxOutputTokens: number;
}

/**
 * docpool's questions need no thought, so thinking is off where the model allows it; a model that
 * must think (2.5 Pro) gets a budget within its range, and the output limit grows by that much.
 */
export function outputBudget(model: string, answerTokens: number): OutputBudget {
  const facts = modelInfo(model)?.thinking;
  if (!facts) return { thinkingBudget: undefined, maxOutputTokens: answerTokens + UNKNOWN_MODEL_THINKING_TOKENS };
  const thinkingBudget = facts.canDisable ? 0 : Math.min(facts.maxBudget, Math.max(facts.minBudget, REQUIRED_THINKING_TOKENS));
  return { thinkingBudget, maxOutputTokens: answerTokens + thinkingBudget };
}

/** Output tokens a step is expected to bill: the typical answer plus the whole thinking budget (the cautious side). */
export function expectedOutputTokens(model: string, step: Step): number {
  const { thinkingBudget, maxOutputTokens } = outputBudget(model, REQUEST_SIZES[step].typicalAnswerTokens);
  return thinkingBudget === undefined ? maxOutputTokens : REQUEST_SIZES[step].typicalAnswerTokens + thinkingBudget;
}

/** One file of `pages` pages classified and extracted: the cautious prior of `--max-cost`. */
export function worstCaseCostPerFile(pricing: Pricing, classifyModel: string, extractModel: string, pages: number): number {
  return (
    pricing.cost(classifyModel, pdfTokens(classifyModel, pages) + REQUEST_SIZES.classify.promptTokens, expectedOutputTokens(classifyModel, 'classify')) +
    pricing.cost(extractModel, pdfTokens(extractModel, pages) + REQUEST_SIZES.extract.promptTokens, expectedOutputTokens(extractModel, 'extract'))
  );
}
