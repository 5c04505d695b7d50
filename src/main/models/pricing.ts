import { modelInfo, type Price, priceOn } from './catalogue.ts';

/** USD per 1M tokens given with --price model=input/output, for a model the table does not know (or to correct it). */
export type PriceOverrides = Readonly<Record<string, { readonly inputPerMillion: number; readonly outputPerMillion: number }>>;

/**
 * Prices calls: an override first, else the catalogue's price in force today. A model with
 * neither is unpriced — never silently $0: `estimate` says so, `--max-cost` refuses to start, and
 * a run's summary counts its tokens as unpriced.
 */
export class Pricing {
  readonly #day: string;

  constructor(
    private readonly overrides: PriceOverrides = {},
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
    return price ? (inputTokens * price.inputPerMillion + outputTokens * price.outputPerMillion) / 1_000_000 : 0;
  }
}
