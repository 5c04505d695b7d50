import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DocumentContent } from './documents.ts';
import { renderBundle, renderPdf } from './render.ts';
import type { Rng } from './rng.ts';
import type { FinanceLabel } from './truth.ts';
import { rangeName } from '../main/pipeline/split-documents.ts';

/** What a scanner's batch or a portal's export puts in one PDF: receipts, invoices, or an expense report followed by its receipts. */
type BundleKind = 'receipts' | 'invoices' | 'expense';

/** The classes that travel in bundles. */
export const BUNDLED_CLASSES: ReadonlySet<FinanceLabel> = new Set(['receipt', 'vendor_invoice', 'employee_expense_report']);

/** Share of bundles scanned (image-only pages) rather than exported with a text layer. */
const SCANNED_SHARE = 0.3;
/** Every bundle holds more pages than this: docpool looks for several documents only in files longer than its threshold (3 pages by default). */
const MIN_BUNDLE_PAGES = 4;

/** A document's manifest line, as the generator made it (the bundle adds its file and pages). */
type Entry = object & { readonly class: FinanceLabel };

interface OpenBundle {
  readonly documents: Array<{ readonly name: string; readonly folder: string; readonly content: DocumentContent; readonly entry: Entry }>;
  readonly holds: number;
  readonly scanned: boolean;
}

/**
 * Gathers documents into bundles, writing each as one PDF once it holds its share, with every
 * document's true pages in the manifest (`part: "pages 3-5"`, as docpool names a document it split
 * off). Its draws come from its own generator, so a corpus without bundles is unchanged.
 */
export class Bundler {
  readonly #open = new Map<BundleKind, OpenBundle>();

  constructor(
    private readonly dir: string,
    private readonly manifest: string[],
    private readonly rng: Rng,
    private readonly producer: string,
  ) {}

  /** Takes a document of a bundled class; the bytes written, when it completed a bundle. */
  async add(folder: string, name: string, content: DocumentContent, entry: Entry): Promise<number> {
    let written = 0;
    const expense = this.#open.get('expense');
    let kind: BundleKind;
    if (entry.class === 'employee_expense_report') {
      if (expense) written += await this.#flush('expense');
      kind = 'expense';
    } else if (entry.class === 'receipt') kind = expense && expense.documents.length < expense.holds ? 'expense' : 'receipts';
    else kind = 'invoices';
    const bundle = this.#open.get(kind) ?? this.#start(kind);
    bundle.documents.push({ name, folder, content, entry });
    if (bundle.documents.length >= bundle.holds && pagesOf(bundle) >= MIN_BUNDLE_PAGES) written += await this.#flush(kind);
    return written;
  }

  /** Writes every bundle still open. */
  async flush(): Promise<number> {
    let written = 0;
    for (const kind of [...this.#open.keys()]) written += await this.#flush(kind);
    return written;
  }

  #start(kind: BundleKind): OpenBundle {
    const holds = kind === 'receipts' ? this.rng.int(4, 8) : kind === 'invoices' ? this.rng.int(3, 5) : 1 + this.rng.int(2, 4);
    const bundle = { documents: [], holds, scanned: this.rng.chance(SCANNED_SHARE) };
    this.#open.set(kind, bundle);
    return bundle;
  }

  /**
   * Writes a bundle as one PDF. One too short to be looked at for several documents (docpool's
   * default threshold) is written as the files it would have been, so that every bundle's truth is
   * one docpool is asked to find.
   */
  async #flush(kind: BundleKind): Promise<number> {
    const bundle = this.#open.get(kind);
    this.#open.delete(kind);
    if (!bundle || bundle.documents.length === 0) return 0;
    if (pagesOf(bundle) < MIN_BUNDLE_PAGES) return this.#writeApart(bundle);
    const first = bundle.documents[0]!;
    const file = join(first.folder, `bundle-${first.name.replace(/\.\w+$/, '')}.pdf`);
    const data = renderBundle(
      bundle.documents.map(({ content }) => content),
      bundle.scanned,
      this.producer,
    );
    await mkdir(join(this.dir, first.folder), { recursive: true });
    await writeFile(join(this.dir, file), data);
    let page = 1;
    for (const { content, entry } of bundle.documents) {
      const to = page + content.pages.length - 1;
      this.manifest.push(JSON.stringify({ ...entry, file, part: rangeName({ from: page, to }), scanned: bundle.scanned }));
      page = to + 1;
    }
    return data.length;
  }

  async #writeApart(bundle: OpenBundle): Promise<number> {
    let written = 0;
    for (const { folder, name, content, entry } of bundle.documents) {
      const data = renderPdf(content.pages, { imageOnly: bundle.scanned, truth: content.truth, producer: this.producer });
      await mkdir(join(this.dir, folder), { recursive: true });
      await writeFile(join(this.dir, folder, name), data);
      this.manifest.push(JSON.stringify({ ...entry, scanned: bundle.scanned }));
      written += data.length;
    }
    return written;
  }
}

function pagesOf(bundle: OpenBundle): number {
  return bundle.documents.reduce((sum, document) => sum + document.content.pages.length, 0);
}
