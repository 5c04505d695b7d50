import type { FileFailureCode } from '../failure-codes.ts';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { EInvoiceReading } from '../../workers/einvoice/facts.ts';
import { eInvoiceFingerprint, readsEInvoices } from '../profiles/einvoice-answer.ts';
import type { Profile } from '../profiles/profile.ts';
import { type ExpectedAnswer, servableAnswer } from '../profiles/stored-answer.ts';
import type { Provider, StepFingerprints } from '../providers/provider.ts';
import { canonicalJson, resultKey } from '../state/fingerprint.ts';
import type { Step, StepResult } from '../state/record.ts';
import { AnswerChecks } from '../checks/answer-review.ts';
import { fieldsOf } from './answer-fields.ts';

/**
 * How many requests a file takes: `2` classifies, then extracts the classes that matter (on the
 * extraction model); `1` asks for the class and the fields in one request (on the classification
 * model); `auto` asks once, then again on the extraction model for the classes the profile marks
 * `secondPass`, or when the one answer was not valid.
 */
export type Passes = '1' | '2' | 'auto';

/** Where step answers are read: LMDB in a run, a job's own map on a queue worker. */
export interface AnswerCache {
  getResult(key: string): StepResult | undefined;
}

/** A file's answers as the cache holds them: the step that gave its class, the extraction asked apart, and a second opinion. */
export interface CachedAnswers {
  readonly first: StepResult;
  readonly extracted?: StepResult;
  readonly second?: SecondOpinion & { readonly result: StepResult };
  /** Requests the answers took: 0 when read from an e-invoice. */
  readonly passes: 0 | 1 | 2;
}

/** A second opinion an answer earned: its class, the checks it failed (as the request names them), and where its answer is kept. */
export interface SecondOpinion {
  readonly label: string;
  readonly failed: readonly string[];
  readonly key: string;
}

/** What a run does with an answer beside asking for it: its checks, and whether a failed one earns a second opinion. */
export interface AnswerSettings {
  /** `--escalate` (the default under `--passes auto`): a Gemini answer that fails a check is asked once more. */
  readonly secondOpinions: boolean;
  /** `--review-below`: an answer with less confidence is flagged for review. */
  readonly reviewBelow: number;
}

/** One step a content may be asked, with its cache key and what its answer must be. */
export interface PlannedStep {
  readonly key: string;
  readonly expected: ExpectedAnswer;
}

/**
 * The one place that decides which steps a file takes under a run's settings, each step's cache
 * key (the only caller of the providers' fingerprints), the run's identity and the queue's
 * settings hash. Asking, reading the cache, resuming and the queue all follow it, so they cannot
 * disagree about what a setting changes.
 */
export class StepPlan<Answerer extends StepFingerprints = Provider> {
  readonly #settings: string;
  /** The e-invoice step's fingerprint, when e-invoices answer for themselves (`--e-invoice prefer` and a profile that maps them). */
  readonly #eInvoicePrint: string | undefined;
  /** `--e-invoice verify`: the model is asked too, and the record says where it disagrees with the XML. */
  readonly verifiesEInvoices: boolean;
  /** The profile's checks on every answer, and the review threshold. */
  readonly checks: AnswerChecks;
  /** Whether a Gemini answer that fails a check is asked once more. */
  readonly asksSecondOpinions: boolean;

  constructor(
    /** Who answers (a queue coordinator that sends nothing has the fingerprints alone). */
    readonly provider: Answerer,
    /** Answers a step whose API calls failed for good (--fallback offline, Gemini runs only). */
    readonly fallback: Answerer | undefined,
    readonly profile: Profile,
    readonly passes: Passes,
    eInvoices: 'prefer' | 'verify' | 'ignore' = 'ignore',
    answers: AnswerSettings = { secondOpinions: false, reviewBelow: 0 },
    /** `--split auto`: a file of more pages than this is looked at for several documents (undefined: `--split off`). */
    readonly splitAbove?: number,
  ) {
    this.checks = new AnswerChecks(profile, answers.reviewBelow);
    this.asksSecondOpinions = answers.secondOpinions && provider.secondOpinionFingerprint !== undefined;
    this.#eInvoicePrint = eInvoices !== 'ignore' && readsEInvoices(profile) ? eInvoiceFingerprint(profile) : undefined;
    this.verifiesEInvoices = eInvoices === 'verify' && this.#eInvoicePrint !== undefined;
    this.#settings = canonicalJson(this.#settingsParts());
  }

  /** Whether the workers look for an e-invoice in each file (it answers for the file when they find one). */
  get readsEInvoices(): boolean {
    return this.#eInvoicePrint !== undefined;
  }

  /**
   * Whether the XML's answer stands without the model being asked too: always under prefer; under
   * verify only for a standalone XML file, which has no page to show the model.
   */
  asksNoModelBeside(windowPages: number): boolean {
    return !this.verifiesEInvoices || windowPages === 0;
  }

  /** Whether this file's own e-invoice answers it, asking nobody. */
  answersFromEInvoice(reading: EInvoiceReading | undefined): reading is Extract<EInvoiceReading, { ok: true }> {
    return this.#eInvoicePrint !== undefined && reading?.ok === true;
  }

  /**
   * The step that gives a content its class: one request for class and fields, or classification
   * alone. Under `auto`, a content whose classification is cached without a one-pass answer was
   * answered the two-pass way (its one answer could not be made valid): it is not asked once more.
   */
  firstStep(sha256: string, cache: AnswerCache): 'one-pass' | 'classify' {
    return this.passes === '2' ? 'classify' : this.#opening(sha256, cache).step;
  }

  /** The first step and its stored answer, if any: each key read once (the stat cache reads every unchanged file this way). */
  #opening(sha256: string, cache: AnswerCache): { readonly step: 'one-pass' | 'classify'; readonly answer: StepResult | undefined } {
    const classified = () => this.read(cache, this.key(sha256, 'classify'), { step: 'classify' });
    if (this.passes === '2') return { step: 'classify', answer: classified() };
    const one = this.read(cache, this.key(sha256, 'one-pass'), { step: 'one-pass' });
    if (this.passes === '1' || one) return { step: 'one-pass', answer: one };
    const answer = classified();
    return answer ? { step: 'classify', answer } : { step: 'one-pass', answer: undefined };
  }

  /** Whether a file of this many pages is looked at for several documents. */
  splits(pages: number | null): boolean {
    return this.splitAbove !== undefined && pages !== null && pages > this.splitAbove;
  }

  /** The stored split of a content (ranges from the page cues or a model), when there is one. */
  storedSplit(sha256: string, cache: AnswerCache): StepResult | undefined {
    return this.read(cache, this.key(sha256, 'split'), { step: 'split' });
  }

  /** Whether `auto` asks the two-pass way after a one-pass answer that could not be made valid. */
  retriesInTwoPasses(code: FileFailureCode): boolean {
    return this.passes === 'auto' && code === 'MODEL_OUTPUT_INVALID';
  }

  /** The class to extract after the step that gave the class `label`, or undefined when that answer is the whole one. */
  extractionAfter(first: 'one-pass' | 'classify', label: string): string | undefined {
    if (first === 'one-pass' && (this.passes === '1' || !this.profile.secondPass?.includes(label))) return undefined;
    return this.profile.extract[label] ? label : undefined;
  }

  /**
   * The second opinion a model's answer earns: when second opinions are on, the answer is
   * Gemini's (never an e-invoice's, which is exact, nor the offline rules'), and a check of its
   * class failed. The failed checks are part of the request, so of its key.
   */
  secondOpinionFor(sha256: string, first: StepResult, extracted: StepResult | undefined): SecondOpinion | undefined {
    if (!this.asksSecondOpinions || first.source !== 'gemini' || (extracted && extracted.source !== 'gemini')) return undefined;
    const label = first.label ?? 'other';
    if (!this.profile.extract[label] || !this.checks.has(label)) return undefined;
    const failed = this.checks.failed(label, fieldsOf(this.profile, first, extracted)).map((check) => `${check.rule}: ${check.detail}`);
    if (failed.length === 0) return undefined;
    return { label, failed, key: resultKey(sha256, 'extract', this.provider.secondOpinionFingerprint!(label, failed)) };
  }

  /** A step's cache key for a content, under the provider that answers it (the run's, or its fallback). */
  key(sha256: string, step: Step, label?: string, answerer: StepFingerprints = this.provider): string {
    const print =
      step === 'e-invoice'
        ? this.#eInvoicePrint!
        : step === 'extract'
          ? answerer.extractFingerprint(label!)
          : step === 'one-pass'
            ? answerer.onePassFingerprint()
            : step === 'split'
              ? answerer.splitFingerprint()
              : answerer.classifyFingerprint();
    return resultKey(sha256, step, print);
  }

  /** Every step these settings could ask of a content (what a queue worker is told is known). */
  possibleSteps(sha256: string): PlannedStep[] {
    return [
      ...(this.readsEInvoices ? [{ key: this.key(sha256, 'e-invoice'), expected: { step: 'e-invoice' } } satisfies PlannedStep] : []),
      ...(this.splitAbove !== undefined ? [{ key: this.key(sha256, 'split'), expected: { step: 'split' } } satisfies PlannedStep] : []),
      { key: this.key(sha256, 'one-pass'), expected: { step: 'one-pass' } },
      { key: this.key(sha256, 'classify'), expected: { step: 'classify' } },
      ...Object.keys(this.profile.extract).map((label): PlannedStep => ({ key: this.key(sha256, 'extract', label), expected: { step: 'extract', label } })),
    ];
  }

  /** A stored answer this profile can serve for the step, else undefined (it is asked again). */
  read(cache: AnswerCache, key: string, expected: ExpectedAnswer): StepResult | undefined {
    return servableAnswer(this.profile, expected, cache.getResult(key));
  }

  /** A file's answers when every one of them is in the cache (the stat cache's way to skip reading it), else undefined. */
  cached(sha256: string, cache: AnswerCache): CachedAnswers | undefined {
    // Under verify the model's answers are compared afresh: the file is read again (its answers are cache hits).
    if (this.readsEInvoices && !this.verifiesEInvoices) {
      const fromEInvoice = this.read(cache, this.key(sha256, 'e-invoice'), { step: 'e-invoice' });
      if (fromEInvoice) return { first: fromEInvoice, passes: 0 };
    }
    const withExtraction = (first: StepResult, step: 'one-pass' | 'classify', passes: 1 | 2): CachedAnswers | undefined => {
      const label = this.extractionAfter(step, first.label ?? 'other');
      if (label === undefined) return { first, passes };
      const extracted = this.read(cache, this.key(sha256, 'extract', label), { step: 'extract', label });
      return extracted ? { first, extracted, passes: 2 } : undefined;
    };
    const { step, answer } = this.#opening(sha256, cache);
    const answers = answer ? withExtraction(answer, step, step === 'one-pass' ? 1 : 2) : undefined;
    const earned = answers && this.secondOpinionFor(sha256, answers.first, answers.extracted);
    if (!answers || !earned) return answers;
    // A second opinion is part of the answer: without it in the cache, the file goes the whole way.
    const second = this.read(cache, earned.key, { step: 'extract', label: earned.label });
    return second ? { ...answers, second: { ...earned, result: second } } : undefined;
  }

  /**
   * A run's identity: the inputs and everything that changes the answers. Running the same
   * command again gives the same id, so it resumes; another profile, model or page window is
   * another run.
   */
  runIdentity(paths: readonly string[], include: readonly string[]): { id: string; inputs: string[] } {
    const inputs = [...new Set(paths.map((path) => resolve(path)))].sort();
    const id = createHash('sha256')
      .update(canonicalJson({ inputs, include, ...this.#settingsParts() }))
      .digest('hex')
      .slice(0, 12);
    return { id, inputs };
  }

  /** What a queue names a run's settings by: files of equal content under equal settings are one job. */
  settingsHash(): string {
    return createHash('sha256').update(this.#settings).digest('hex').slice(0, 16);
  }

  /** Every step's fingerprint (each extract class too), and who answers when the API fails for good. */
  #settingsParts(): Record<string, unknown> {
    const steps = (answerer: StepFingerprints) => ({
      classify: answerer.classifyFingerprint(),
      extract: Object.keys(this.profile.extract)
        .sort()
        .map((label) => answerer.extractFingerprint(label)),
      // Added only when asked, so a two-pass run keeps the id it had before one-pass existed.
      ...(this.passes === '2' ? {} : { onePass: answerer.onePassFingerprint(), passes: this.passes }),
    });
    return {
      provider: this.provider.name,
      ...steps(this.provider),
      fallback: this.fallback ? steps(this.fallback) : null,
      profile: this.profile.name,
      // Added only when e-invoices answer, so a run that reads none keeps the id it had before they could.
      ...(this.#eInvoicePrint ? { eInvoice: this.#eInvoicePrint } : {}),
      ...(this.verifiesEInvoices ? { eInvoiceVerify: true } : {}),
      // Files of more pages than this may be answered as several documents.
      ...(this.splitAbove !== undefined ? { split: { above: this.splitAbove, how: this.provider.splitFingerprint() } } : {}),
      // Added only when asked, so a run without second opinions keeps the id it had before they existed.
      ...(this.asksSecondOpinions
        ? {
            secondOpinion: Object.keys(this.profile.extract)
              .sort()
              .map((label) => this.provider.secondOpinionFingerprint!(label, [])),
          }
        : {}),
    };
  }
}
