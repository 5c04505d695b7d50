import type { ResponseSchema } from './response-schema.ts';

/** A profile: the label set, the prompts, and an extraction schema per class that matters. */
export interface ProfileDefinition {
  readonly name: string;
  /** Bump when prompts or schemas change meaning: it is part of every cache fingerprint. */
  readonly version: number;
  readonly classes: ReadonlyArray<{ readonly name: string; readonly description: string }>;
  readonly classifyPrompt: string;
  /** Classes whose fields are extracted, with their prompt and answer schema. */
  readonly extract: Readonly<Record<string, { readonly prompt: string; readonly schema: ResponseSchema }>>;
  /**
   * Extract classes worth a second, stronger pass with `--passes auto`: after the one-pass answer
   * on the classification model, these are asked again on the extraction model.
   */
  readonly secondPass?: readonly string[];
  /**
   * How an e-invoice (Factur-X, ZUGFeRD, XRechnung, Peppol, UBL) answers for this profile: the
   * class it is, and for each field the EN 16931 business term that fills it (`BT-1`, …; `BG-25`
   * for the invoice lines, mapped by `lineFields`). Without it, e-invoices are left to the model.
   */
  readonly eInvoice?: EInvoiceMapping;
}

export interface EInvoiceMapping {
  readonly class: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly lineFields?: Readonly<Record<string, string>>;
}
