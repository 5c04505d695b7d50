import type { ModelStep } from '../state/record.ts';
import { type MediaResolution, modelInfo, pdfTokens, type ThinkingLevel } from './catalogue.ts';
import type { Pricing } from './pricing.ts';

/**
 * The size of docpool's requests and answers, and the thinking each model is given: the one place
 * the Gemini provider (what it asks for), `estimate` and `--max-cost` (what they price) read it.
 */
export const REQUEST_SIZES: Readonly<
  Record<ModelStep, { readonly promptTokens: number; readonly typicalAnswerTokens: number; readonly maxAnswerTokens: number }>
> = {
  /** Instructions plus the class list; the answer is a label and a confidence in JSON. */
  classify: { promptTokens: 180, typicalAnswerTokens: 25, maxAnswerTokens: 256 },
  /** Instructions; the answer is one record, line items included. */
  extract: { promptTokens: 120, typicalAnswerTokens: 350, maxAnswerTokens: 4096 },
  /** The class list and every extract class's instructions; the answer is a label plus one record (others null). */
  'one-pass': { promptTokens: 420, typicalAnswerTokens: 400, maxAnswerTokens: 4352 },
  /** The question and the class list; the answer is ~25 tokens a document, up to MAX_SPLIT_PAGES of them. */
  split: { promptTokens: 120, typicalAnswerTokens: 150, maxAnswerTokens: 3072 },
};

/** What a model that cannot stop thinking is given: enough to reason over a table, not a novel. */
const REQUIRED_THINKING_TOKENS = 1024;
/** Room left for the thought of a model docpool has no facts for (it thinks by its own default). */
const UNKNOWN_MODEL_THINKING_TOKENS = 8192;
/**
 * Room for a thinking level's thought, and what it is expected to bill. Google publishes no token
 * figure for a level: MINIMAL "matches no thinking for most queries" but may think a little; LOW
 * "uses fewer thinking tokens". The room keeps a thoughtful answer from being cut off
 * (MAX_TOKENS); the expectation is docpool's assumption, half the room, and every run's summary
 * shows what was really billed.
 */
const LEVEL_ROOM_TOKENS: Readonly<Record<ThinkingLevel, number>> = { MINIMAL: 256, LOW: 1024, MEDIUM: 4096, HIGH: 8192 };

/** `thinkingConfig` as sent: a budget (2.5) or a level (Gemini 3), never both (Google answers 400). */
export type ThinkingSetting = { readonly thinkingBudget: number } | { readonly thinkingLevel: ThinkingLevel };

export interface OutputBudget {
  /** The request's `thinkingConfig`, or undefined to leave the model's default (an unknown model). */
  readonly thinking: ThinkingSetting | undefined;
  /** Thinking counts against maxOutputTokens, so this is the answer's room plus the thinking's. */
  readonly maxOutputTokens: number;
  /** Thinking tokens expected to be billed (the cautious side). */
  readonly expectedThinkingTokens: number;
}

/**
 * docpool's questions need no thought, so each model thinks as little as it allows: thinking off
 * where a budget of 0 is accepted, a budget within range where it is not (2.5 Pro), and the lowest
 * level a Gemini 3 model accepts (MINIMAL, or LOW where MINIMAL is refused).
 */
export function outputBudget(model: string, answerTokens: number): OutputBudget {
  const control = modelInfo(model)?.thinking;
  if (!control)
    return { thinking: undefined, maxOutputTokens: answerTokens + UNKNOWN_MODEL_THINKING_TOKENS, expectedThinkingTokens: UNKNOWN_MODEL_THINKING_TOKENS };
  if (control.by === 'level') {
    const level = control.levels[0]!;
    return {
      thinking: { thinkingLevel: level },
      maxOutputTokens: answerTokens + LEVEL_ROOM_TOKENS[level],
      expectedThinkingTokens: LEVEL_ROOM_TOKENS[level] / 2,
    };
  }
  const thinkingBudget = control.canDisable ? 0 : Math.min(control.maxBudget, Math.max(control.minBudget, REQUIRED_THINKING_TOKENS));
  return { thinking: { thinkingBudget }, maxOutputTokens: answerTokens + thinkingBudget, expectedThinkingTokens: thinkingBudget };
}

/** Output tokens a step is expected to bill: the typical answer plus the expected thinking (the cautious side). */
export function expectedOutputTokens(model: string, step: ModelStep): number {
  return REQUEST_SIZES[step].typicalAnswerTokens + outputBudget(model, REQUEST_SIZES[step].typicalAnswerTokens).expectedThinkingTokens;
}

/** The media resolution each step reads its pages at (Gemini 3 models; 2.x ignore it). */
export type StepResolutions = Readonly<Record<Exclude<ModelStep, 'split'>, MediaResolution>>;

/** How finely a step's pages are read: a split looks at the pages as classification does. */
export function resolutionOf(resolutions: StepResolutions, step: ModelStep): MediaResolution {
  return resolutions[step === 'split' ? 'classify' : step];
}

/** One file of `pages` pages classified and extracted: the cautious prior of `--max-cost`. */
export function worstCaseCostPerFile(pricing: Pricing, classifyModel: string, extractModel: string, pages: number, resolutions: StepResolutions): number {
  return (
    pricing.cost(
      classifyModel,
      pdfTokens(classifyModel, pages, resolutions.classify) + REQUEST_SIZES.classify.promptTokens,
      expectedOutputTokens(classifyModel, 'classify'),
    ) +
    pricing.cost(
      extractModel,
      pdfTokens(extractModel, pages, resolutions.extract) + REQUEST_SIZES.extract.promptTokens,
      expectedOutputTokens(extractModel, 'extract'),
    )
  );
}
