import { GoogleGenAI } from '@google/genai';
import { CHARS_PER_TOKEN } from '../../../workers/protocol.ts';
import { pdfTokens, takesMediaResolution } from '../../models/catalogue.ts';
import type { Pricing } from '../../models/pricing.ts';
import { outputBudget, REQUEST_SIZES, resolutionOf } from '../../models/request-budget.ts';
import { coveringRanges, SPLIT_QUESTION, splitSchema } from '../../pipeline/split-documents.ts';
import { toZod } from '../../profiles/response-schema.ts';
import { classifyInstruction, type OnePassAnswer, onePassInstruction } from '../../profiles/profile.ts';
import { type Provider, type StepInput, type StepOutcome, stepFailure } from '../provider.ts';
import type { AdmissionStopped } from '../../errors.ts';
import {
  CLASSIFY_QUESTION,
  EXTRACT_QUESTION,
  GeminiFingerprints,
  type GeminiQuestions,
  ONE_PASS_QUESTION,
  secondOpinionQuestion,
} from './gemini-fingerprints.ts';
import { type BillingAccount, type CallPolicy, callGemini, type GeminiCall } from './gemini-call.ts';
import { ModelLimiter, type ModelLimiterOptions } from './model-limiter.ts';
import { RefusalJudge } from './refusal-judge.ts';
import type { ServedModel } from './model-directory.ts';

export interface GeminiProviderOptions extends GeminiQuestions {
  readonly apiKey: string;
  /** Limits per model (each model gets one limiter set, shared by every call to it). */
  readonly limits: (model: string) => Omit<ModelLimiterOptions, 'model'>;
  /** Inline requests above this many bytes fail with PDF_TOO_LARGE_INLINE (the Files API comes later). */
  readonly maxInlineBytes: number;
  readonly pricing: Pricing;
  /** How long a lone 400 waits to learn whether other files get the same refusal (then the run stops). */
  readonly refusalGraceMs: number;
  readonly policy: CallPolicy;
  readonly onRetry?: GeminiCall['onRetry'];
  readonly onAnswer?: GeminiCall['onAnswer'];
  /**
   * How a built request is answered: by default online (callGemini under the limiters); batch
   * mode answers it through a Batch API job instead. The request itself, and so every
   * fingerprint, is the same either way.
   */
  readonly send?: (call: GeminiCall) => Promise<StepOutcome>;
}

/** Gemini through the real @google/genai client (DESIGN §4): one client, one limiter set per model. */
export class GeminiProvider implements Provider {
  readonly name = 'gemini';
  readonly #ai: GoogleGenAI;
  readonly #options: GeminiProviderOptions;
  readonly #limiters = new Map<string, ModelLimiter>();
  /** Three identical refusals make a run-wide one; a lone refusal waits at most a few seconds for its verdict. */
  readonly #refusals: RefusalJudge;
  /** Each step's cache fingerprint, from the questions alone. */
  readonly #fingerprints: GeminiFingerprints;
  /** One billing account behind every model: a spend cap closes every limiter, now and any made later. */
  #spendStop: AdmissionStopped | undefined;
  readonly #account: BillingAccount = {
    close: (reason) => {
      this.#spendStop ??= reason;
      for (const limiter of this.#limiters.values()) limiter.close(reason);
    },
  };
  /** What Google said of each model before the run (models.get): its output token limit caps each request's. */
  #served = new Map<string, ServedModel>();

  /** The client, for the Batch and Files APIs (batch mode shares it). */
  get client(): GoogleGenAI {
    return this.#ai;
  }

  constructor(options: GeminiProviderOptions) {
    this.#options = options;
    this.#fingerprints = new GeminiFingerprints(options);
    this.#refusals = new RefusalJudge(3, options.refusalGraceMs);
    // The key goes to the client and nowhere else: never into a log, a record or the cache.
    this.#ai = new GoogleGenAI({ apiKey: options.apiKey, ...(options.baseUrl ? { httpOptions: { baseUrl: options.baseUrl } } : {}) });
  }

  adoptServedModels(served: Map<string, ServedModel>): void {
    this.#served = served;
  }

  limiter(model: string): ModelLimiter {
    let limiter = this.#limiters.get(model);
    if (!limiter) {
      limiter = new ModelLimiter({ model, ...this.#options.limits(model) });
      if (this.#spendStop) limiter.close(this.#spendStop);
      this.#limiters.set(model, limiter);
    }
    return limiter;
  }

  limiters(): ModelLimiter[] {
    const models = new Set([
      this.#options.classifyModel,
      this.#options.extractModel,
      ...(this.#options.secondOpinionModel ? [this.#options.secondOpinionModel] : []),
    ]);
    return [...models].map((model) => this.limiter(model));
  }

  classifyFingerprint(): string {
    return this.#fingerprints.classifyFingerprint();
  }

  extractFingerprint(label: string): string {
    return this.#fingerprints.extractFingerprint(label);
  }

  onePassFingerprint(): string {
    return this.#fingerprints.onePassFingerprint();
  }

  /** Class and fields in one request, on the classification model (`--passes 1`, and the first pass of `auto`). */
  onePass(input: StepInput): Promise<StepOutcome> {
    const { profile, classifyModel } = this.#options;
    return this.#call(input, {
      model: classifyModel,
      instruction: onePassInstruction(profile),
      question: ONE_PASS_QUESTION,
      responseSchema: profile.onePassSchema,
      validate: profile.validateOnePass,
      step: 'one-pass',
      toResult: (answer) => {
        const { label, confidence } = answer as OnePassAnswer;
        const fields = profile.extract[label] ? (answer as OnePassAnswer)[label] : undefined;
        return { label, confidence: Math.max(0, Math.min(1, confidence)), ...(fields ? { fields: fields as Record<string, unknown> } : {}) };
      },
    });
  }

  classify(input: StepInput): Promise<StepOutcome> {
    const { profile, classifyModel } = this.#options;
    const instruction = classifyInstruction(profile);
    return this.#call(input, {
      model: classifyModel,
      instruction,
      question: CLASSIFY_QUESTION,
      responseSchema: profile.classifySchema,
      validate: profile.validateClassification,
      step: 'classify',
      toResult: (answer) => {
        const { label, confidence } = answer as { label: string; confidence: number };
        return { label, confidence: Math.max(0, Math.min(1, confidence)) };
      },
    });
  }

  extract(input: StepInput, label: string): Promise<StepOutcome> {
    const entry = this.#options.profile.extract[label]!;
    return this.#call(input, {
      model: this.#options.extractModel,
      instruction: entry.prompt,
      question: EXTRACT_QUESTION,
      responseSchema: entry.schema,
      validate: this.#options.profile.validateFields[label]!,
      step: 'extract',
      toResult: (answer) => ({ fields: answer as Record<string, unknown> }),
    });
  }

  splitFingerprint(): string {
    return this.#fingerprints.splitFingerprint();
  }

  /** Where each document in the pages starts and ends, on the classification model; the pages are always sent as pages (layout shows where a document starts). */
  split(input: StepInput): Promise<StepOutcome> {
    const { profile, classifyModel } = this.#options;
    const schema = splitSchema(profile);
    const validate = toZod(schema);
    return this.#call(input, {
      model: classifyModel,
      instruction: classifyInstruction(profile),
      question: SPLIT_QUESTION,
      responseSchema: schema,
      validate,
      step: 'split',
      toResult: (answer) => {
        const documents = (answer as { documents: Array<{ first_page: number; label: string }> }).documents;
        const labels = new Map(documents.map((document) => [document.first_page, document.label]));
        const covered = coveringRanges(
          documents.map((document) => document.first_page),
          labels,
          input.filePages ?? input.windowPages,
          input.windowPages,
        );
        return { fields: covered as unknown as Record<string, unknown> };
      },
    });
  }

  secondOpinionFingerprint(label: string, failed: readonly string[]): string {
    return this.#fingerprints.secondOpinionFingerprint(label, failed);
  }

  /** The class's fields once more, on the second-opinion model, the question naming the checks the first answer failed. */
  secondOpinion(input: StepInput, label: string, failed: readonly string[]): Promise<StepOutcome> {
    const entry = this.#options.profile.extract[label]!;
    return this.#call(input, {
      model: this.#options.secondOpinionModel ?? this.#options.extractModel,
      instruction: entry.prompt,
      question: secondOpinionQuestion(failed),
      responseSchema: entry.schema,
      validate: this.#options.profile.validateFields[label]!,
      step: 'extract',
      toResult: (answer) => ({ fields: answer as Record<string, unknown> }),
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.#limiters.values()].map((limiter) => limiter.stop()));
  }

  async #call(
    input: StepInput,
    step: Pick<GeminiCall, 'model' | 'responseSchema' | 'validate' | 'step' | 'toResult'> & { instruction: string; question: string },
  ): Promise<StepOutcome> {
    const asText = step.step !== 'split' && this.#sendsText(input);
    const documentPart = asText
      ? { text: `Document text (first ${input.windowPages} pages):\n${input.text}` }
      : { inlineData: { mimeType: 'application/pdf', data: Buffer.from(input.subset).toString('base64') } };
    if (!asText && input.subset.byteLength * (4 / 3) > this.#options.maxInlineBytes) {
      return stepFailure(
        'PDF_TOO_LARGE_INLINE',
        `the first ${input.windowPages} pages are ${(input.subset.byteLength / 1e6).toFixed(1)} MB, over the inline request limit; try --input-mode text or fewer --pages`,
      );
    }
    const promptTokens = Math.ceil((step.instruction.length + step.question.length) / CHARS_PER_TOKEN);
    const resolution = resolutionOf(this.#options.resolutions, step.step);
    const budget = outputBudget(step.model, REQUEST_SIZES[step.step].maxAnswerTokens);
    const call: GeminiCall = {
      ai: this.#ai,
      limiter: this.limiter(step.model),
      account: this.#account,
      refusals: this.#refusals,
      pricing: this.#options.pricing,
      model: step.model,
      estimatedTokens: promptTokens + (asText ? input.tokens.text : pdfTokens(step.model, input.windowPages, resolution)),
      contents: [{ role: 'user', parts: [documentPart, { text: step.question }] }],
      systemInstruction: step.instruction,
      responseSchema: step.responseSchema,
      thinking: budget.thinking,
      maxOutputTokens: Math.min(budget.maxOutputTokens, this.#served.get(step.model)?.outputTokenLimit ?? Number.POSITIVE_INFINITY),
      ...(takesMediaResolution(step.model) && !asText ? { mediaResolution: resolution } : {}),
      validate: step.validate,
      toResult: step.toResult,
      step: step.step,
      ...(this.#options.onRetry ? { onRetry: this.#options.onRetry } : {}),
      ...(this.#options.onAnswer ? { onAnswer: this.#options.onAnswer } : {}),
    };
    return this.#options.send ? this.#options.send(call) : this.callOnline(call);
  }

  /** One request online, under the limiters, whatever `send` says (batch mode's online fallback). */
  callOnline(call: GeminiCall): Promise<StepOutcome> {
    return callGemini(call, this.#options.policy);
  }

  /** `auto` sends text when there is a real text layer and it is cheaper than the pages. */
  #sendsText(input: StepInput): boolean {
    const mode = this.#options.inputMode;
    return mode === 'text' || (mode === 'auto' && input.hasTextLayer && input.tokens.text < input.tokens.pdf);
  }
}
