import { GoogleGenAI } from '@google/genai';
import { DEFAULT_CLASSIFY_MODEL, DEFAULT_EXTRACT_MODEL } from '../config/defaults.ts';
import { type ModelInfo, type ModelLimits, MODELS, PRICES_AS_OF, shutDownBy, type Tier } from '../models/catalogue.ts';
import { type BillingTier, Pricing } from '../models/pricing.ts';
import { outputBudget } from '../models/request-budget.ts';
import { RunRefused } from '../errors.ts';
import { listServedModels, type ServedModel } from '../providers/gemini/model-directory.ts';
import { count } from '../progress/numbers.ts';

/** USD per 1M tokens at one billing tier. */
export interface TierPrice {
  readonly input: number;
  readonly output: number;
}

/** One model: what Google said of it (when asked) joined with docpool's own facts. */
export interface ModelRow {
  readonly id: string;
  /** Listed by models.list for this key; null when Google was not asked (no key). */
  readonly served: boolean | null;
  readonly methods?: readonly string[];
  readonly inputTokenLimit?: number;
  readonly outputTokenLimit?: number;
  /** docpool's default for a step, if it is one. */
  readonly defaultFor?: 'classify' | 'extract';
  /** docpool's facts (absent for a model docpool does not know: give --price, limits are learned). */
  readonly facts?: {
    readonly stage: ModelInfo['stage'];
    readonly released: string;
    readonly shutdown?: string;
    readonly replacement?: string;
    /** Past its shutdown date: docpool refuses to run with it. */
    readonly retired: boolean;
    readonly prices: Readonly<Record<BillingTier, TierPrice>>;
    readonly pdfPageTokens: ModelInfo['pdfPageTokens'];
    /** How thinking is controlled, and what docpool sends. */
    readonly thinking: string;
    /** Published limits at the tier shown; null when none is published (learned from the first 429). */
    readonly limits: ModelLimits | null;
  };
}

export interface ModelListing {
  /** Why Google was not asked, or what it said when the list failed; undefined when the list came back. */
  readonly notAsked?: string;
  readonly tier: Tier;
  readonly pricesAsOf: string;
  readonly models: readonly ModelRow[];
}

const BILLING_TIERS: readonly BillingTier[] = ['standard', 'flex', 'batch', 'priority'];

/** `docpool models`: asks Google (models.list) when a key is set, and joins docpool's table. */
export async function listModels(options: { env: NodeJS.ProcessEnv; baseUrl?: string; tier: Tier; today?: Date }): Promise<ModelListing> {
  const apiKey = options.env.GEMINI_API_KEY || options.env.GOOGLE_API_KEY;
  const baseUrl = options.baseUrl ?? options.env.GOOGLE_GEMINI_BASE_URL;
  const today = options.today ?? new Date();
  let served: readonly ServedModel[] | undefined;
  let notAsked: string | undefined;
  if (!apiKey) notAsked = "no GEMINI_API_KEY or GOOGLE_API_KEY set: docpool's own table only";
  else {
    const ai = new GoogleGenAI({ apiKey, ...(baseUrl ? { httpOptions: { baseUrl } } : {}) });
    const listed = await listServedModels(ai);
    if (listed.kind === 'refused') throw new RunRefused(listed.message);
    if (listed.kind === 'ok') served = listed.value;
    else notAsked = `models.list did not answer (${listed.message}): docpool's own table only`;
  }
  const ids = new Set([
    ...(served ?? []).filter((model) => MODELS[model.id] || model.methods.includes('generateContent')).map((model) => model.id),
    ...Object.keys(MODELS),
  ]);
  const rows = [...ids].map((id) => row(id, served, options.tier, today));
  return { ...(notAsked ? { notAsked } : {}), tier: options.tier, pricesAsOf: PRICES_AS_OF, models: rows.sort(byUsefulness) };
}

function row(id: string, served: readonly ServedModel[] | undefined, tier: Tier, today: Date): ModelRow {
  const google = served?.find((model) => model.id === id);
  const info = MODELS[id];
  const defaultFor = id === DEFAULT_CLASSIFY_MODEL ? 'classify' : id === DEFAULT_EXTRACT_MODEL ? 'extract' : undefined;
  return {
    id,
    served: served === undefined ? null : google !== undefined,
    ...(google ? { methods: google.methods } : {}),
    ...(google?.inputTokenLimit ? { inputTokenLimit: google.inputTokenLimit } : {}),
    ...(google?.outputTokenLimit ? { outputTokenLimit: google.outputTokenLimit } : {}),
    ...(defaultFor ? { defaultFor } : {}),
    ...(info ? { facts: facts(id, info, tier, today) } : {}),
  };
}

function facts(id: string, info: ModelInfo, tier: Tier, today: Date): NonNullable<ModelRow['facts']> {
  // The same Pricing the estimate and the run use, so the three never disagree on a price.
  const prices = Object.fromEntries(
    BILLING_TIERS.map((billing) => {
      const pricing = new Pricing({}, billing, today);
      return [billing, { input: pricing.cost(id, 1_000_000, 0), output: pricing.cost(id, 0, 1_000_000) }];
    }),
  ) as Record<BillingTier, TierPrice>;
  return {
    stage: info.stage,
    released: info.released,
    ...(info.shutdown ? { shutdown: info.shutdown } : {}),
    ...(info.replacement ? { replacement: info.replacement } : {}),
    retired: shutDownBy(id, today.toISOString().slice(0, 10)) !== undefined,
    prices,
    pdfPageTokens: info.pdfPageTokens,
    thinking: thinkingText(id, info),
    limits: info.limits[tier] ?? null,
  };
}

function thinkingText(id: string, info: ModelInfo): string {
  const sent = outputBudget(id, 0).thinking;
  const sends = sent === undefined ? '' : 'thinkingLevel' in sent ? `; docpool sends ${sent.thinkingLevel}` : `; docpool sends ${sent.thinkingBudget}`;
  const control = info.thinking;
  if (control.by === 'level') return `level ${control.levels.join('/')} (default ${control.defaultLevel})${sends}`;
  return `budget ${control.canDisable ? '0 or ' : ''}${count(control.minBudget)}–${count(control.maxBudget)}${sends}`;
}

/** Defaults first, then the models one can use, then the rest; newest first within each. */
function byUsefulness(a: ModelRow, b: ModelRow): number {
  const rank = (model: ModelRow) =>
    model.defaultFor === 'classify' ? 0 : model.defaultFor === 'extract' ? 1 : model.facts?.retired ? 4 : model.served === false ? 3 : model.facts ? 2 : 3;
  return rank(a) - rank(b) || (b.facts?.released ?? '').localeCompare(a.facts?.released ?? '') || a.id.localeCompare(b.id);
}

/** The human-readable table printed by `docpool models`. */
export function formatModels(listing: ModelListing): string {
  const lines = [
    listing.notAsked ? `(${listing.notAsked})` : "served: what models.list returned for this key; the rest is docpool's table",
    `prices USD per 1M input/output tokens as of ${listing.pricesAsOf} (output includes thinking); limits RPM/TPM/RPD published for tier ${listing.tier}`,
    '',
  ];
  for (const model of listing.models) {
    const served = model.served === null ? '' : model.served ? ' served' : ' NOT SERVED to this key';
    const role = model.defaultFor ? ` (default for ${model.defaultFor})` : '';
    lines.push(`${model.id}${role}${served}`);
    const facts = model.facts;
    if (!facts) {
      lines.push(`  docpool has no facts: give --price ${model.id}=IN/OUT; its limits are learned from Google's first 429`);
      continue;
    }
    const price = (tier: BillingTier) => `$${facts.prices[tier].input.toFixed(3)}/$${facts.prices[tier].output.toFixed(2)}`;
    const page =
      typeof facts.pdfPageTokens === 'number'
        ? `${facts.pdfPageTokens}`
        : `${facts.pdfPageTokens.low}/${facts.pdfPageTokens.medium}/${facts.pdfPageTokens.high} (low/medium/high)`;
    const limits = facts.limits
      ? `${count(facts.limits.rpm)}/${count(facts.limits.tpm)}/${facts.limits.rpd === undefined ? '-' : count(facts.limits.rpd)}`
      : 'not published (learned at run time)';
    const life = facts.retired
      ? `SHUT DOWN ${facts.shutdown}${facts.replacement ? `, use ${facts.replacement}` : ''}`
      : facts.shutdown
        ? `shuts down ${facts.shutdown}`
        : 'no shutdown announced';
    lines.push(
      `  ${facts.stage}, released ${facts.released}, ${life}`,
      `  price standard ${price('standard')}  flex ${price('flex')}  batch ${price('batch')}`,
      `  PDF page ${page} tokens; thinking ${facts.thinking}`,
      `  limits ${limits}${model.inputTokenLimit ? `; Google: ${count(model.inputTokenLimit)} input / ${count(model.outputTokenLimit ?? 0)} output tokens` : ''}`,
    );
  }
  return lines.join('\n');
}
