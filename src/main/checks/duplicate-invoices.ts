import type { Profile } from '../profiles/profile.ts';
import { normalName } from './normal-name.ts';
import type { FileRecord } from '../state/record.ts';
import type { InvoiceSeen, Store } from '../state/store.ts';

/**
 * Duplicate invoices across a state folder: the same vendor (its name without case, accents,
 * punctuation or legal form), invoice number (without separators or case) and total (to the cent)
 * in two files of different content. The first file seen keeps the identity, in this run or any
 * earlier one of the folder; every later one is flagged `DUPLICATE_INVOICE`, naming it. The same
 * content under two names is one answer already, and not flagged.
 */
export class DuplicateInvoices {
  /** Identities claimed in this run and not yet committed: files finish concurrently. */
  readonly #claimed = new Map<string, InvoiceSeen>();

  constructor(
    private readonly profile: Profile,
    private readonly store: Pick<Store, 'getInvoice' | 'putInvoice'>,
  ) {}

  /**
   * The record, flagged when it repeats an earlier file's invoice. A first sighting is claimed at
   * once (files finish concurrently); `commit` saves the claim, called once the record itself is
   * committed (a write started earlier would fail unobserved when the record's own write stops the run).
   */
  check(record: FileRecord): { readonly record: FileRecord; readonly commit?: () => Promise<void> } {
    const identity = record.status === 'done' && record.sha256 ? this.#identity(record) : undefined;
    if (!identity) return { record };
    const seen = this.#claimed.get(identity) ?? this.store.getInvoice(identity);
    if (!seen) {
      const mine = { sha256: record.sha256!, path: record.path };
      this.#claimed.set(identity, mine);
      return { record, commit: () => this.store.putInvoice(identity, mine) };
    }
    if (seen.sha256 === record.sha256) return { record };
    const detail = `DUPLICATE_INVOICE: same vendor, invoice number and total as ${seen.path}`;
    return {
      record: {
        ...record,
        checks: [...(record.checks ?? []), { rule: 'duplicate', ok: false, detail }],
        review: true,
        reviewReasons: [...(record.reviewReasons ?? []), detail],
        duplicateOf: seen.path,
      },
    };
  }

  #identity(record: FileRecord): string | undefined {
    const key = this.profile.duplicates?.find((entry) => entry.class === record.class);
    const fields = record.fields;
    if (!key || !fields) return undefined;
    const vendor = typeof fields[key.vendor] === 'string' ? normalName(fields[key.vendor] as string) : '';
    const number = typeof fields[key.number] === 'string' ? (fields[key.number] as string).toUpperCase().replace(/[^\p{L}\p{N}]/gu, '') : '';
    const total = fields[key.total];
    if (!vendor || !number || typeof total !== 'number' || !Number.isFinite(total)) return undefined;
    return `${record.class}\u0000${vendor}\u0000${number}\u0000${Math.round(total * 100)}`;
  }
}
