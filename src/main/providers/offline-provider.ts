import { readByRules, type RuleReading } from '../../offline/rules.ts';
import { fingerprint, rememberedFingerprint } from '../state/fingerprint.ts';
import type { Profile } from '../profiles/profile.ts';
import { type Step, ZERO_USAGE } from '../state/record.ts';
import type { Provider, StepInput, StepOutcome } from './provider.ts';
import { PAGE_CUES_VERSION } from '../pipeline/split-documents.ts';

/**
 * Bump when the rules change what they answer: it is part of the offline cache fingerprint.
 * 3: scans and photos are read by OCR (they answered `other` from no text before).
 */
const RULES_VERSION = 3;

/**
 * Answers from the worker's extracted text with keyword and regex rules (src/offline/rules.ts):
 * no key, no network, no cost. Scans and photos are read from their OCR text (src/workers/ocr.ts).
 */
export class OfflineProvider implements Provider {
  readonly name = 'offline';
  readonly #fingerprints = new Map<string, string>();

  constructor(
    private readonly profile: Profile,
    private readonly pageWindow: number,
  ) {}

  classifyFingerprint(): string {
    return rememberedFingerprint(this.#fingerprints, 'classify', () => this.#fingerprint('classify', this.profile.classifySchema));
  }

  extractFingerprint(label: string): string {
    return rememberedFingerprint(this.#fingerprints, `extract:${label}`, () => this.#fingerprint('extract', this.profile.extract[label]?.schema));
  }

  async classify(input: StepInput): Promise<StepOutcome> {
    const reading = readingOf(input);
    const known = this.profile.classes.some((entry) => entry.name === reading.label);
    const label = known ? reading.label : this.#fallbackLabel();
    return {
      ok: true,
      result: {
        step: 'classify',
        source: 'offline',
        model: `rules-v${RULES_VERSION}`,
        label,
        confidence: known ? reading.confidence : 0,
        usage: ZERO_USAGE,
        at: Date.now(),
      },
    };
  }

  async extract(input: StepInput, label: string): Promise<StepOutcome> {
    const reading = readingOf(input);
    const wanted = Object.keys(this.profile.extract[label]?.schema.properties ?? {});
    // Only the fields the profile asks for; the rest of the schema is null (not on the page, as far as rules can tell).
    const fields = Object.fromEntries(wanted.map((name) => [name, reading.fields[name] ?? null]));
    return { ok: true, result: { step: 'extract', source: 'offline', model: `rules-v${RULES_VERSION}`, fields, usage: ZERO_USAGE, at: Date.now() } };
  }

  splitFingerprint(): string {
    return `page-cues-v${PAGE_CUES_VERSION}`;
  }

  onePassFingerprint(): string {
    return rememberedFingerprint(this.#fingerprints, 'one-pass', () => this.#fingerprint('one-pass', this.profile.onePassSchema));
  }

  /** The rules read the text once either way: the class, then the fields for an extract class. */
  async onePass(input: StepInput): Promise<StepOutcome> {
    const classified = await this.classify(input);
    if (!classified.ok) return classified;
    const label = classified.result.label!;
    const extracted = this.profile.extract[label] ? await this.extract(input, label) : undefined;
    const fields = extracted?.ok ? extracted.result.fields : undefined;
    return { ok: true, result: { ...classified.result, step: 'one-pass', ...(fields ? { fields } : {}) } };
  }

  async close(): Promise<void> {}

  #fallbackLabel(): string {
    return this.profile.classes.some((entry) => entry.name === 'other') ? 'other' : this.profile.classes[this.profile.classes.length - 1]!.name;
  }

  #fingerprint(step: Step, schema: unknown): string {
    return fingerprint({
      step,
      provider: 'offline',
      endpoint: 'local',
      model: `rules-v${RULES_VERSION}`,
      instruction: '',
      schema,
      pageWindow: this.pageWindow,
      inputMode: 'text',
      profile: this.profile.name,
      profileVersion: this.profile.version,
    });
  }
}

/**
 * The worker's reading, made under the prepare deadline. A file prepared without one (a task that
 * did not ask) is read here: the rules are linear in their bounded input, so this cannot freeze
 * the main thread, only cost it a few milliseconds.
 */
function readingOf(input: StepInput): RuleReading {
  return input.rules ?? readByRules(input.text);
}
