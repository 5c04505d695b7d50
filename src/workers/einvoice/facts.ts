/**
 * An e-invoice's facts as EN 16931 names them (the business terms BT-n), whatever its syntax: what
 * a worker reads from a Factur-X/ZUGFeRD attachment or an XRechnung/Peppol/UBL file, exactly as
 * the XML writes them. Amounts stay as the XML gives them (a credit note's are positive).
 */
export interface EInvoiceFacts {
  /** The syntax it was written in. */
  readonly syntax: 'cii' | 'zugferd-1' | 'ubl';
  /** Its specification (BT-24), as written, and docpool's short name for it (e.g. `factur-x EN16931`, `xrechnung`). */
  readonly guideline: string;
  readonly profile: string;
  /** UNTDID 1001 (BT-3): 380 invoice, 381 credit note, 384 corrected, …; a UBL CreditNote is 381. */
  readonly typeCode: string;
  readonly document: 'invoice' | 'credit_note';
  /** The business terms read, by their EN 16931 number: `BT-1` … (text, a number, or an ISO date). */
  readonly terms: Readonly<Record<string, string | number | null>>;
  /** BG-25, the invoice lines: BT-153 name, BT-129 quantity, BT-146 net price, BT-131 line net amount. */
  readonly lines: ReadonlyArray<Readonly<Record<string, string | number | null>>>;
}

/** What a worker found of an e-invoice in a file: its facts, or why the XML there cannot be used (the model answers then). */
export type EInvoiceReading =
  { readonly ok: true; readonly facts: EInvoiceFacts; readonly source: string } | { readonly ok: false; readonly reason: string; readonly source: string };
