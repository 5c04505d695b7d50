import type { CheckSpec } from '../checks/check-spec.ts';
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
  /** The checks each class's answers get (`docpool` flags a failed one for review, and may ask a second opinion). */
  readonly checks?: Readonly<Record<string, readonly CheckSpec[]>>;
  /**
   * The fields that make two documents of a class the same invoice: the same vendor, number and
   * total in two files of different content is flagged `DUPLICATE_INVOICE`.
   */
  readonly duplicates?: ReadonlyArray<DuplicateKey>;
}

export interface DuplicateKey {
  readonly class: string;
  readonly vendor: string;
  readonly number: string;
  readonly total: string;
}

export interface EInvoiceMapping {
  readonly class: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly lineFields?: Readonly<Record<string, string>>;
}
