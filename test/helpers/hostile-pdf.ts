import { constants, createDeflate, deflateSync } from 'node:zlib';

/**
 * Hostile PDFs built byte by byte, as an attacker or an unlucky producer would write them: small
 * files that are valid enough for a reader to go deep into them.
 */

/** One indirect object: a dictionary, with a Flate-compressed stream when `stream` is given. */
export interface PdfObject {
  readonly dict: string;
  readonly stream?: Buffer;
  /** The stream as it is stored, already encoded with these filters (the stream is then not compressed again). */
  readonly encoded?: { readonly data: Buffer; readonly filters: readonly string[] };
}

/** A PDF of these objects (object 1 must be the catalog), with a correct xref table and trailer. */
export function buildPdf(objects: readonly PdfObject[]): Buffer {
  const chunks: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let length = chunks[0]!.length;
  const offsets: number[] = [];
  const push = (chunk: Buffer) => {
    chunks.push(chunk);
    length += chunk.length;
  };
  objects.forEach((object, index) => {
    offsets.push(length);
    if (!object.stream && !object.encoded) {
      push(Buffer.from(`${index + 1} 0 obj\n${object.dict}\nendobj\n`, 'latin1'));
      return;
    }
    const data = object.encoded?.data ?? deflateSync(object.stream!, { level: 9 });
    const filters = object.encoded?.filters ?? ['FlateDecode'];
    const dict = object.dict.replace(/>>\s*$/, ` /Filter [${filters.map((name) => `/${name}`).join(' ')}] /Length ${data.length} >>`);
    push(Buffer.from(`${index + 1} 0 obj\n${dict}\nstream\n`, 'latin1'));
    push(data);
    push(Buffer.from('\nendstream\nendobj\n', 'latin1'));
  });
  const xref = length;
  const entries = offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('');
  push(
    Buffer.from(
      `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${entries}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`,
      'latin1',
    ),
  );
  return Buffer.concat(chunks);
}

const CATALOG: PdfObject = { dict: '<< /Type /Catalog /Pages 2 0 R >>' };
const PAGES: PdfObject = { dict: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>' };
const HELVETICA: PdfObject = { dict: '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>' };

/** One page whose text layer is `text` on one line (a tiny font keeps even a million letters on the page). */
export function textPdf(text: string, fontSize = 0.0002): Buffer {
  return buildPdf([
    CATALOG,
    PAGES,
    { dict: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>' },
    HELVETICA,
    { dict: '<< >>', stream: Buffer.from(`BT /F1 ${fontSize} Tf 10 400 Td (${text}) Tj ET`, 'latin1') },
  ]);
}

/**
 * One page drawing a Form XObject that draws the next, `depth` deep: every level is legal, and a
 * reader that recurses once per level runs out of stack.
 */
export function nestedFormsPdf(depth: number): Buffer {
  const first = 5; // object number of form 0
  const forms: PdfObject[] = Array.from({ length: depth }, (_, level) => {
    const next = level + 1 < depth ? `/Resources << /XObject << /X ${first + level + 1} 0 R >> >>` : '';
    const draw = level + 1 < depth ? 'q 1 0 0 1 0.1 0.1 cm /X Do Q q 1 0 0 1 0.2 0.2 cm /X Do Q' : 'BT /F1 12 Tf 10 10 Td (deep) Tj ET';
    const resources = level + 1 < depth ? next : '/Resources << /Font << /F1 4 0 R >> >>';
    return { dict: `<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] ${resources} >>`, stream: Buffer.from(draw, 'latin1') };
  });
  return buildPdf([
    CATALOG,
    PAGES,
    {
      dict: `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /X ${first} 0 R >> /Font << /F1 4 0 R >> >> /Contents ${first + depth} 0 R >>`,
    },
    HELVETICA,
    ...forms,
    { dict: '<< >>', stream: Buffer.from('BT /F1 12 Tf 72 700 Td (Invoice 42 total 10.00 EUR) Tj ET /X Do', 'latin1') },
  ]);
}

/**
 * One page whose content stream shows a string of `megabytes` MB of one letter, Flate-compressed
 * twice: a kilobyte or two on disk (a decompression bomb). Compressed a megabyte at a time, so
 * building it never holds the string.
 */
export async function doubleFlatePdf(megabytes: number): Promise<Buffer> {
  const once = await deflateChunks(function* () {
    yield Buffer.from('BT /F1 0.0001 Tf 10 400 Td (', 'latin1');
    const block = Buffer.alloc(1024 * 1024, 'a');
    for (let index = 0; index < megabytes; index++) yield block;
    yield Buffer.from(') Tj ET', 'latin1');
  });
  const twice = deflateSync(once, { level: 9 });
  return buildPdf([
    CATALOG,
    PAGES,
    { dict: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>' },
    HELVETICA,
    // The outer encoding is listed first: a reader undoes the filters in order.
    { dict: '<< >>', encoded: { data: twice, filters: ['FlateDecode', 'FlateDecode'] } },
  ]);
}

async function deflateChunks(chunks: () => Generator<Buffer>): Promise<Buffer> {
  const deflate = createDeflate({ level: 9, strategy: constants.Z_DEFAULT_STRATEGY });
  const out: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => out.push(chunk));
  const ended = new Promise<void>((resolve, reject) => deflate.on('end', resolve).on('error', reject));
  for (const chunk of chunks()) {
    if (!deflate.write(chunk)) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await ended;
  return Buffer.concat(out);
}
