import { modelInfo, type Price, priceOn } from './catalogue.ts';

/** USD per 1M tokens given with --price model=input/output, for a model the table does not know (or to correct it). */
export type PriceOverrides = Readonly<Record<string, { readonly inputPerMillion: number; readonly outputPerMillion: number }>>;

/** Gemini's synchronous service tiers (ai.google.dev/gemini-api/docs/optimization). */
export type ServiceTier = 'standard' | 'flex' | 'priority';
/** What a call is billed at: a synchronous tier, or the Batch API ("50% of the standard cost"). */
export type BillingTier = ServiceTier | 'batch';

/**
 * What each tier costs against the standard price: Flex is "50% discount"; Priority "75% to 100%
 * more than standard", counted here at the top of that range so a budget is never overrun
 * (Google's optimization page, as of 2026-11).
 */
export const TIER_PRICE_FACTOR: Readonly<Record<BillingTier, number>> = { standard: 1, flex: 0.5, priority: 2, batch: 0.5 };

/**
 * Prices calls: an override first, else the catalogue's price in force today, times the service
 * tier's factor. A model with neither is unpriced — never silently $0: `estimate` says so,
 * `--max-cost` refuses to start, and a run's summary counts its tokens as unpriced.
 */
export class Pricing {
  readonly #day: string;

  constructor(
    private readonly overrides: PriceOverrides = {},
    readonly tier: BillingTier = 'standard',
    today: Date = new Date(),
  ) {
    this.#day = today.toISOString().slice(0, 10);
  }

  priceOf(model: string): Price | undefined {
    const override = this.overrides[model];
    if (override) return override;
    const info = modelInfo(model);
    return info ? priceOn(info, this.#day) : undefined;
  }

  known(model: string): boolean {
    return this.priceOf(model) !== undefined;
  }

  /** USD for one call's tokens (output includes thinking); 0 for an unpriced model (check `known`). */
  cost(model: string, inputTokens: number, outputTokens: number): number {
    const price = this.priceOf(model);
    return price ? ((inputTokens * price.inputPerMillion + outputTokens * price.outputPerMillion) / 1_000_000) * TIER_PRICE_FACTOR[this.tier] : 0;
  }
}

/** What the run's calls are billed at: the Batch API's price in batch mode, else the service tier's. */
export function billingTier(config: { readonly batch: boolean; readonly serviceTier: ServiceTier }): BillingTier {
  return config.batch ? 'batch' : config.serviceTier;
}
