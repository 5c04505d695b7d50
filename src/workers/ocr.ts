import { createHash } from 'node:crypto';
import { mkdirSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as mupdf from 'mupdf';
import { createWorker, OEM, type Worker } from 'tesseract.js';

/**
 * Text for pages that have none (scans, photos), read by Tesseract in this worker thread so the
 * offline rules have something to read. The language data comes from the registry packages
 * @tesseract.js-data/{eng,deu,fra} (LSTM "best_int" models): nothing is downloaded at run time.
 */
const OCR_LANGUAGES = ['eng', 'deu', 'fra'] as const;

/**
 * Pages are read at 300 dpi, what Tesseract's models were trained on: at 200 dpi it misread 9 as 3
 * and dropped decimal points in 10-point Helvetica amounts (measured on generated invoices).
 */
const OCR_DPI = 300;
/**
 * The long side of a page rendered for OCR, at most: an A4 page at 300 dpi (3,508 px). A photo,
 * whose page size in points is a guess (96 dpi), is read at 1.5× its own pixels for a typical 200
 * dpi shot: on 18 generated photos and scans that read 14 totals right against 13 at 1×.
 */
const MAX_OCR_SIDE = 3500;

/**
 * Below this mean word confidence the first page is read again turned a quarter both ways, and the
 * best turn kept for every page: a page scanned on its side reads as noise (a real scan of the
 * shared corpus read "rei = © ce ©" at confidence 66, and "Docling bundles PDF document
 * conversion" at 95 once turned; upright generated pages read at 75–95).
 */
const TURN_BELOW_CONFIDENCE = 70;
/**
 * OCR time a file may take before its later pages are left unread: a dense statement page takes
 * ~6.5 s at 300 dpi on one core, and the whole task has a deadline (30 s by default). The first
 * page, which holds what the rules look for, is always read.
 */
const OCR_BUDGET_MS = 12_000;

let reader: Promise<Worker> | undefined;

export interface OcrReading {
  /** The text of each page read, in order. */
  readonly texts: readonly string[];
  /** Why pages of the window were not read, if any were not. */
  readonly warning?: string;
}

/**
 * Where a page is read: all of it, or only its top third and bottom eighth, where a document's
 * letterhead, title and page counter stand (what finding the documents in a scanned bundle needs,
 * at about half the time a page).
 */
type OcrRegions = 'whole' | 'head-and-foot';
const HEAD_SHARE = 1 / 3;
const FOOT_SHARE = 1 / 8;

/**
 * The text of `pages` pages of a PDF from `first` (counted from 0): scans, or photos made into
 * pages, read by OCR. The first `wholePages` are read whole; the rest (a file that may hold
 * several documents, read for the cues) only at their head and foot.
 */
export async function readPagesByOcr(pdf: Uint8Array, pages: number, first = 0, wholePages = pages): Promise<OcrReading> {
  reader ??= startReader();
  const worker = await reader;
  const started = performance.now();
  const doc = new mupdf.PDFDocument(pdf);
  try {
    const wanted = Math.min(pages, doc.countPages() - first);
    const texts: string[] = [];
    let turn = 0;
    for (let index = 0; index < wanted; index++) {
      if (index > 0 && performance.now() - started > OCR_BUDGET_MS) {
        return {
          texts,
          warning: `pages ${first + index + 1}..${first + wanted} were not read by OCR: the file's ${OCR_BUDGET_MS / 1000} s OCR budget was spent`,
        };
      }
      const page = doc.loadPage(first + index);
      try {
        const regions = index < wholePages ? 'whole' : 'head-and-foot';
        let best = await recognise(worker, page, turn, regions);
        if (index === 0 && best.confidence < TURN_BELOW_CONFIDENCE) {
          for (const degrees of [90, 270]) {
            const turned = await recognise(worker, page, degrees, regions);
            if (turned.confidence > best.confidence) [best, turn] = [turned, degrees];
          }
        }
        texts.push(best.text);
      } finally {
        page.destroy();
      }
    }
    return { texts };
  } finally {
    doc.destroy();
  }
}

/** One page rendered grey at `degrees` and read, whole or its head and foot (each drawn on its own: nothing else is rendered). */
async function recognise(worker: Worker, page: mupdf.PDFPage, degrees: number, regions: OcrRegions): Promise<{ text: string; confidence: number }> {
  const [x0, y0, x1, y1] = page.getBounds();
  const scale = Math.min(OCR_DPI / 72, MAX_OCR_SIDE / Math.max(x1 - x0, y1 - y0, 1));
  const matrix = mupdf.Matrix.concat(mupdf.Matrix.scale(scale, scale), mupdf.Matrix.rotate(degrees));
  const [left, top, right, bottom] = mupdf.Rect.transform(page.getBounds(), matrix).map(Math.round) as [number, number, number, number];
  const height = bottom - top;
  const areas: Array<[number, number, number, number]> =
    regions === 'whole'
      ? [[left, top, right, bottom]]
      : [
          [left, top, right, top + Math.round(height * HEAD_SHARE)],
          [left, bottom - Math.round(height * FOOT_SHARE), right, bottom],
        ];
  const read: Array<{ text: string; confidence: number }> = [];
  for (const area of areas) {
    const pixmap = new mupdf.Pixmap(mupdf.ColorSpace.DeviceGray, area, false);
    const device = new mupdf.DrawDevice(matrix, pixmap);
    try {
      pixmap.clear(255);
      page.run(device, mupdf.Matrix.identity);
      device.close();
      const { data } = await worker.recognize(Buffer.from(pixmap.asPNG()));
      read.push({ text: data.text, confidence: data.confidence });
    } finally {
      device.destroy();
      pixmap.destroy();
    }
  }
  return { text: read.map((part) => part.text).join('\n'), confidence: Math.min(...read.map((part) => part.confidence)) };
}

/**
 * tesseract.js reads every language from one folder (`langPath`), while each registry package
 * holds one language: a folder of links to the packages' files, made once per installation.
 */
async function startReader(): Promise<Worker> {
  const require = createRequire(import.meta.url);
  const files = OCR_LANGUAGES.map((code) =>
    join(dirname(require.resolve(`@tesseract.js-data/${code}/package.json`)), '4.0.0_best_int', `${code}.traineddata.gz`),
  );
  const folder = join(tmpdir(), `docpool-tessdata-${createHash('sha256').update(files.join('\n')).digest('hex').slice(0, 12)}`);
  mkdirSync(folder, { recursive: true });
  for (const [index, code] of OCR_LANGUAGES.entries()) {
    try {
      symlinkSync(files[index]!, join(folder, `${code}.traineddata.gz`));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return createWorker(OCR_LANGUAGES.join('+'), OEM.LSTM_ONLY, { langPath: folder, gzip: true, cacheMethod: 'none' });
}
