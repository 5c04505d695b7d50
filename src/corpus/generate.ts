import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { damage, DAMAGE_CODES, type DamageKind } from './damage.ts';
import { composeDocument } from './documents.ts';
import type { Lang } from './locale.ts';
import { ciiInvoiceXml } from './einvoice-xml.ts';
import { emlWith, msgWith, zipOf } from './container-files.ts';
import { BUNDLED_CLASSES, Bundler } from './bundles.ts';
import { pagePng, photoJpeg, scanTiff } from './image-files.ts';
import { renderPdf } from './render.ts';
import { Rng } from './rng.ts';
import type { Fields, FinanceLabel, GroundTruth } from './truth.ts';

export interface CorpusOptions {
  readonly dir: string;
  readonly count: number;
  readonly seed: number;
  /** Upper bound on pages per document (1..500). Default 500. */
  readonly maxPages?: number;
  /** Share of files that are damaged. Default 0.06. */
  readonly damagedRate?: number;
  /** Share of intact files rendered as image-only scans. Default 0.08. */
  readonly scannedRate?: number;
  /** Share of intact text invoices made Factur-X: the invoice's CII XML attached as factur-x.xml. Default 0. */
  readonly eInvoiceRate?: number;
  /**
   * Share of intact documents of up to 3 pages written as images instead of PDFs: a one-page
   * document as a phone photo (JPEG on its side, with EXIF orientation) or a PNG, a longer one as a
   * scanner's multi-page TIFF. Default 0.
   */
  readonly imageRate?: number;
  /**
   * Share of intact documents of up to 3 pages delivered inside another file: two attached to an
   * .eml, one to an Outlook .msg, three in a ZIP, in turn. Default 0.
   */
  readonly containerRate?: number;
  /**
   * Share of intact receipts, invoices and expense reports of up to 3 pages gathered into bundles:
   * one PDF of 4–8 receipts, of 3–5 invoices, or of an expense report followed by 2–4 receipts,
   * scanned or with text, each document's pages in the manifest. Default 0.
   */
  readonly bundleRate?: number;
}

/** The containers the generator packs documents in, in turn, with how many each holds. */
const CONTAINERS = [
  { kind: 'eml', holds: 2 },
  { kind: 'msg', holds: 1 },
  { kind: 'zip', holds: 3 },
] as const;

/** The image kinds the generator writes, as the manifest names them. */
export type ImageKind = 'jpeg' | 'png' | 'tiff';
const IMAGE_EXTENSIONS: Record<ImageKind, string> = { jpeg: 'jpg', png: 'png', tiff: 'tif' };
/** Documents longer than this stay PDFs: a TIFF of a 200-page contract is no scanner's output. */
const MAX_IMAGE_PAGES = 3;

/** One line of manifest.jsonl: what the file is and what docpool should make of it. */
export interface ManifestEntry {
  readonly file: string;
  readonly class: FinanceLabel;
  readonly fields: Fields;
  readonly pages: number;
  readonly damaged: (typeof DAMAGE_CODES)[DamageKind] | null;
  readonly lang: Lang;
  readonly scanned: boolean;
  /** A Factur-X invoice: its answer is in its XML (absent in manifests made before the generator made them). */
  readonly eInvoice?: boolean;
  /** Written as an image, not a PDF (absent in manifests made before the generator made them). */
  readonly image?: ImageKind;
  /**
   * Delivered inside `file`: the attachment's or member's name (a mail or a ZIP), or its pages
   * (`pages 3-5`, a bundle), as docpool names the part.
   */
  readonly part?: string;
}

export interface CorpusSummary {
  readonly files: number;
  readonly pages: number;
  readonly damaged: number;
  readonly bytes: number;
  readonly ms: number;
}

const CLASS_WEIGHTS: Record<FinanceLabel, number> = {
  vendor_invoice: 35,
  employee_expense_report: 15,
  receipt: 15,
  purchase_order: 10,
  bank_statement: 8,
  contract: 7,
  other: 10,
};

const DAMAGE_WEIGHTS: Record<DamageKind, number> = { truncated: 3, empty: 1, encrypted: 2, not_a_pdf: 2, zero_pages: 1 };
const LANG_WEIGHTS: Record<Lang, number> = { en: 5, de: 3, fr: 2 };
const FILES_PER_FOLDER = 100;
const PRODUCER = 'docpool corpus generator';
/** Added to the corpus's seed for the bundler's draws (bundle sizes, scanned or not). */
const BUNDLER_SEED = 0x5bd1e995;

/** Generates a corpus deterministically from its seed: the PDFs, in folders of 100, and manifest.jsonl. */
export async function generateCorpus(options: CorpusOptions): Promise<CorpusSummary> {
  const started = performance.now();
  const master = new Rng(options.seed);
  const maxPages = Math.min(500, Math.max(1, options.maxPages ?? 500));
  const manifest: string[] = [];
  let pages = 0;
  let damaged = 0;
  let bytes = 0;
  await mkdir(options.dir, { recursive: true });
  const packer = new Packer(options.dir, manifest);
  // Its own draws, from a generator of its own: the documents are the same, bundled or not, and a
  // corpus without bundles is the same bytes as before they existed.
  const bundleRate = options.bundleRate ?? 0;
  const bundler = bundleRate > 0 ? new Bundler(options.dir, manifest, new Rng(options.seed + BUNDLER_SEED), PRODUCER) : undefined;
  for (let index = 0; index < options.count; index++) {
    const rng = master.fork();
    const label = rng.weighted(CLASS_WEIGHTS);
    const lang = rng.weighted(LANG_WEIGHTS);
    const pageCount = Math.min(maxPages, pagesFor(label, rng));
    const damageKind = rng.chance(options.damagedRate ?? 0.06) ? rng.weighted(DAMAGE_WEIGHTS) : null;
    const scanned = damageKind === null && rng.chance(options.scannedRate ?? 0.08);
    const content = composeDocument(label, lang, pageCount, rng);
    // Drawn only when asked for, so a corpus without e-invoices is the same bytes as before they existed.
    const eInvoice = (options.eInvoiceRate ?? 0) > 0 && label === 'vendor_invoice' && damageKind === null && !scanned && rng.chance(options.eInvoiceRate!);
    const good = renderPdf(content.pages, {
      imageOnly: scanned,
      truth: content.truth,
      producer: PRODUCER,
      ...(eInvoice ? { attachment: { name: 'factur-x.xml', mimeType: 'text/xml', text: ciiInvoiceXml(content.truth.fields) } } : {}),
    });
    // Drawn only when asked for, as e-invoices are.
    const image =
      (options.imageRate ?? 0) > 0 && damageKind === null && !eInvoice && pageCount <= MAX_IMAGE_PAGES && rng.chance(options.imageRate!)
        ? imageKindFor(pageCount, rng)
        : undefined;
    const data = damageKind ? damage(damageKind, good, rng) : image ? imageFile(image, good, pageCount, content.truth) : good;
    const extension = image ? IMAGE_EXTENSIONS[image] : 'pdf';
    const folder = `batch-${String(Math.floor(index / FILES_PER_FOLDER)).padStart(3, '0')}`;
    const name = `doc-${String(index).padStart(6, '0')}.${extension}`;
    const packed = (options.containerRate ?? 0) > 0 && damageKind === null && pageCount <= MAX_IMAGE_PAGES && rng.chance(options.containerRate!);
    const entry: ManifestEntry = {
      file: join(folder, name),
      class: label,
      fields: content.truth.fields,
      pages: pageCount,
      damaged: damageKind ? DAMAGE_CODES[damageKind] : null,
      lang,
      scanned: scanned || image !== undefined,
      ...(eInvoice ? { eInvoice } : {}),
      ...(image ? { image } : {}),
    };
    const bundled =
      bundler !== undefined &&
      !packed &&
      damageKind === null &&
      !eInvoice &&
      !image &&
      pageCount <= MAX_IMAGE_PAGES &&
      BUNDLED_CLASSES.has(label) &&
      rng.chance(bundleRate);
    if (bundled) bytes += await bundler.add(folder, name, content, entry);
    else if (packed) bytes += await packer.add(folder, name, data, entry);
    else {
      await mkdir(join(options.dir, folder), { recursive: true });
      await writeFile(join(options.dir, entry.file), data);
      manifest.push(JSON.stringify(entry));
      bytes += data.length;
    }
    pages += pageCount;
    if (damageKind) damaged++;
  }
  bytes += await packer.flush();
  if (bundler) bytes += await bundler.flush();
  await writeFile(join(options.dir, 'manifest.jsonl'), `${manifest.join('\n')}\n`);
  return { files: options.count, pages, damaged, bytes, ms: Math.round(performance.now() - started) };
}

/** Collects documents into mails and ZIPs, writing each container once it holds its share. */
class Packer {
  #turn = 0;
  #pending: Array<{ folder: string; name: string; data: Uint8Array; entry: ManifestEntry }> = [];

  constructor(
    private readonly dir: string,
    private readonly manifest: string[],
  ) {}

  /** Takes a document; the bytes written, when it completed a container. */
  async add(folder: string, name: string, data: Uint8Array, entry: ManifestEntry): Promise<number> {
    this.#pending.push({ folder, name, data, entry });
    return this.#pending.length >= CONTAINERS[this.#turn % CONTAINERS.length]!.holds ? this.flush() : 0;
  }

  async flush(): Promise<number> {
    if (this.#pending.length === 0) return 0;
    const { kind } = CONTAINERS[this.#turn++ % CONTAINERS.length]!;
    const first = this.#pending[0]!;
    const file = join(first.folder, `${kind === 'zip' ? 'export' : 'mail'}-${first.name.replace(/\.\w+$/, '')}.${kind}`);
    const attachments = this.#pending.map(({ name, data }) => ({ name, data }));
    const subject = `Documents ${attachments.map((attachment) => attachment.name).join(', ')}`;
    const data =
      kind === 'eml'
        ? emlWith(subject, 'Please find the documents attached.', attachments, new Date(Date.UTC(2026, 0, 1)))
        : kind === 'msg'
          ? msgWith(subject, 'Please find the documents attached.', attachments)
          : zipOf(attachments);
    await mkdir(join(this.dir, first.folder), { recursive: true });
    await writeFile(join(this.dir, file), data);
    for (const { name, entry } of this.#pending) this.manifest.push(JSON.stringify({ ...entry, file, part: name }));
    this.#pending = [];
    return data.length;
  }
}

function imageKindFor(pageCount: number, rng: Rng): ImageKind {
  if (pageCount > 1) return 'tiff';
  return rng.chance(0.7) ? 'jpeg' : 'png';
}

function imageFile(kind: ImageKind, pdf: Uint8Array, pageCount: number, truth: GroundTruth): Uint8Array {
  if (kind === 'jpeg') return photoJpeg(pdf, truth);
  if (kind === 'png') return pagePng(pdf, truth);
  return scanTiff(pdf, pageCount, truth);
}

/** Page counts by class: mostly short, with a long tail up to 500 (statements, contracts, reports). */
function pagesFor(label: FinanceLabel, rng: Rng): number {
  switch (label) {
    case 'vendor_invoice':
      return rng.chance(0.7) ? 1 : rng.chance(0.85) ? rng.int(2, 3) : rng.int(4, 20);
    case 'employee_expense_report':
      return rng.int(1, 3);
    case 'receipt':
      return 1;
    case 'purchase_order':
      return rng.int(1, 2);
    case 'bank_statement':
      return rng.chance(0.95) ? rng.int(1, 12) : rng.int(13, 500);
    case 'contract':
      return rng.chance(0.95) ? rng.int(2, 30) : rng.int(31, 200);
    case 'other':
      return rng.chance(0.97) ? rng.int(1, 2) : rng.int(3, 500);
  }
}

/** Reads manifest.jsonl back (tests, bench). */
export function parseManifest(text: string): ManifestEntry[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ManifestEntry);
}
