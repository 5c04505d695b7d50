import { takesMediaResolution } from '../../models/catalogue.ts';
import { outputBudget, REQUEST_SIZES, resolutionOf, type StepResolutions } from '../../models/request-budget.ts';
import { PAGE_CUES_VERSION, SPLIT_QUESTION, splitSchema } from '../../pipeline/split-documents.ts';
import { classifyInstruction, onePassInstruction, type Profile } from '../../profiles/profile.ts';
import { fingerprint, rememberedFingerprint } from '../../state/fingerprint.ts';
import type { ModelStep } from '../../state/record.ts';
import type { StepFingerprints } from '../provider.ts';

export type InputMode = 'pdf' | 'text' | 'auto';

/** What a Gemini request is made of, apart from the document: everything its answer depends on. */
export interface GeminiQuestions {
  /** The endpoint (an emulator, a proxy); Google's when absent. */
  readonly baseUrl?: string;
  readonly profile: Profile;
  readonly classifyModel: string;
  readonly extractModel: string;
  /** Where a second opinion is asked (`--escalate-model`); the extraction model when absent. */
  readonly secondOpinionModel?: string;
  readonly pageWindow: number;
  readonly inputMode: InputMode;
  /** How finely each step's pages are read (Gemini 3 models). */
  readonly resolutions: StepResolutions;
}

/** Where the SDK sends requests when no base URL is given. */
export const GOOGLE_ENDPOINT = 'https://generativelanguage.googleapis.com';

export const CLASSIFY_QUESTION = 'Classify this document.';
export const EXTRACT_QUESTION = 'Extract the fields of this document.';
export const ONE_PASS_QUESTION = 'Classify this document and, if its class asks for them, extract its fields.';

/** A second opinion's question: the extraction again, told what the first reading failed (a model reads again more carefully when told what to look at). */
export function secondOpinionQuestion(failed: readonly string[]): string {
  return `${EXTRACT_QUESTION} A first reading failed these checks:\n${failed.map((check) => `- ${check}`).join('\n')}\nRead the document again carefully and give every value exactly as printed.`;
}

/**
 * The cache fingerprints of Gemini's steps, from the questions alone: no client and no key. A
 * queue coordinator that sends nothing names its cache keys and jobs with them; the provider that
 * does send uses the same ones.
 */
export class GeminiFingerprints implements StepFingerprints {
  readonly name = 'gemini';
  /** The origin answering (Google's, or an emulator's or proxy's): part of every cache key. */
  readonly #endpoint: string;
  readonly #remembered = new Map<string, string>();

  constructor(private readonly questions: GeminiQuestions) {
    this.#endpoint = new URL(questions.baseUrl ?? GOOGLE_ENDPOINT).origin;
  }

  classifyFingerprint(): string {
    const { profile, classifyModel } = this.questions;
    return rememberedFingerprint(this.#remembered, 'classify', () =>
      this.#fingerprint('classify', classifyModel, `${classifyInstruction(profile)}\n${CLASSIFY_QUESTION}`, profile.classifySchema),
    );
  }

  extractFingerprint(label: string): string {
    const entry = this.questions.profile.extract[label]!;
    return rememberedFingerprint(this.#remembered, `extract:${label}`, () =>
      this.#fingerprint('extract', this.questions.extractModel, `${entry.prompt}\n${EXTRACT_QUESTION}`, entry.schema),
    );
  }

  secondOpinionFingerprint(label: string, failed: readonly string[]): string {
    const entry = this.questions.profile.extract[label]!;
    const model = this.questions.secondOpinionModel ?? this.questions.extractModel;
    return this.#fingerprint('extract', model, `${entry.prompt}\n${secondOpinionQuestion(failed)}`, entry.schema);
  }

  /** The split request, and the cues that decide whether it is asked (a file they are sure of is never sent). */
  splitFingerprint(): string {
    const { profile, classifyModel } = this.questions;
    return rememberedFingerprint(this.#remembered, 'split', () =>
      this.#fingerprint('split', classifyModel, `${classifyInstruction(profile)}\n${SPLIT_QUESTION}\ncues v${PAGE_CUES_VERSION}`, splitSchema(profile)),
    );
  }

  onePassFingerprint(): string {
    const { profile, classifyModel } = this.questions;
    return rememberedFingerprint(this.#remembered, 'one-pass', () =>
      this.#fingerprint('one-pass', classifyModel, `${onePassInstruction(profile)}\n${ONE_PASS_QUESTION}`, profile.onePassSchema),
    );
  }

  #fingerprint(step: ModelStep, model: string, instruction: string, schema: unknown): string {
    const { profile, pageWindow, inputMode, resolutions } = this.questions;
    const { thinking } = outputBudget(model, REQUEST_SIZES[step].maxAnswerTokens);
    const mediaResolution = takesMediaResolution(model) ? resolutionOf(resolutions, step) : undefined;
    return fingerprint({
      step,
      provider: 'gemini',
      endpoint: this.#endpoint,
      model,
      thinking,
      mediaResolution,
      instruction,
      schema,
      pageWindow,
      inputMode,
      profile: profile.name,
      profileVersion: profile.version,
    });
  }
}
