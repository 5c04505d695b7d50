import { createHash } from 'node:crypto';
import { messageOf } from '../error-message.ts';
import { sniffImage } from '../image/sniff.ts';
import { hasPdfHeader } from '../pdf-window.ts';
import type { ContainerFailureCode, ListedPart, PartProblemCode } from '../protocol.ts';
import { startsAsXml } from '../xml-sniff.ts';
import { type MailContent, readEml, readMsg } from './mail-message.ts';
import { isZip, listZip, readMember } from './zip-archive.ts';

/**
 * Files that hold documents: a ZIP export, an .eml or an Outlook .msg with invoices attached.
 * Each document inside (a PDF, an image, an XML e-invoice, a mail's body when it is the
 * document) is a part with an index (`2`, or `1/0` inside a mail attached to the mail) and a name
 * (`fwd.eml/invoice.pdf`); a container inside a container is opened in turn, three levels deep.
 */
export type ContainerKind = 'zip' | 'eml' | 'msg';

/** Documents one file may hold, all levels together: a mail with 10,000 attachments is refused, not read. */
const MAX_PARTS = 1000;
/** Containers inside containers, at most: a mail in a ZIP in a mail. */
const MAX_DEPTH = 3;
/** An inline image smaller than this is a logo or a signature, not a document. */
const MIN_INLINE_DOCUMENT_BYTES = 20 * 1024;
/** The mail body counts as a document when it has this many visible characters and nothing attached is one. */
const MIN_BODY_CHARS = 200;
/** The name a mail's body goes by. */
const BODY_NAME = 'body.html';

export type Listing =
  { readonly ok: true; readonly parts: readonly ListedPart[] } | { readonly ok: false; readonly code: ContainerFailureCode; readonly message: string };

export type OpenedPart =
  | { readonly ok: true; readonly name: string; readonly data: Uint8Array }
  | { readonly ok: false; readonly code: ContainerFailureCode | PartProblemCode; readonly message: string };

/** What a file is as a container, by its name and first bytes; undefined for any other file. */
export function containerKind(name: string, data: Uint8Array): ContainerKind | undefined {
  if (/\.zip$/i.test(name) && isZip(data)) return 'zip';
  if (/\.eml$/i.test(name)) return 'eml';
  if (/\.msg$/i.test(name) && isCompoundFile(data)) return 'msg';
  return undefined;
}

/** Every part of a container, documents hashed; inflated one at a time, each under `maxPartBytes`. */
export async function listParts(data: Uint8Array, kind: ContainerKind, maxPartBytes: number): Promise<Listing> {
  const parts: ListedPart[] = [];
  const walked = await walk(data, kind, { index: '', name: '' }, 1, maxPartBytes, {
    wants: () => true,
    visit: (part) => {
      parts.push(part.data ? { index: part.index, name: part.name, sha256: sha256Of(part.data), bytes: part.data.length } : part);
      return parts.length > MAX_PARTS ? 'stop' : 'go';
    },
  });
  if (!walked.ok) return walked;
  if (parts.length > MAX_PARTS) return tooMany(`more than ${MAX_PARTS} documents and attachments`);
  return { ok: true, parts };
}

/** The part at `index`, as listing found it. */
export async function openPart(data: Uint8Array, kind: ContainerKind, index: string, maxPartBytes: number): Promise<OpenedPart> {
  let found: OpenedPart | undefined;
  const walked = await walk(data, kind, { index: '', name: '' }, 1, maxPartBytes, {
    // Only the part and the containers on its way are read: the other members are never inflated.
    wants: (at) => at === index || index.startsWith(`${at}/`),
    visit: (part) => {
      if (part.index !== index) return 'go';
      found = part.data ? { ok: true, name: part.name, data: part.data } : { ok: false, ...part.problem! };
      return 'stop';
    },
  });
  if (!walked.ok) return walked;
  return found ?? { ok: false, code: 'CONTAINER_CORRUPT', message: `it no longer holds part ${index}: it changed since it was listed` };
}

interface WalkedPart {
  readonly index: string;
  readonly name: string;
  readonly data?: Uint8Array;
  readonly problem?: { readonly code: PartProblemCode; readonly message: string };
}

interface Visitor {
  /** Whether the part at this index is to be read at all (a ZIP member costs its inflation). */
  wants(index: string): boolean;
  visit(part: WalkedPart): 'go' | 'stop';
}
type Walk = { readonly ok: true; readonly stopped: boolean } | { readonly ok: false; readonly code: ContainerFailureCode; readonly message: string };

interface Child {
  readonly name: string;
  read(): { readonly data: Uint8Array } | { readonly problem: { readonly code: PartProblemCode; readonly message: string } };
  readonly mail?: 'eml' | 'msg';
  readonly inline?: boolean;
}

async function walk(
  data: Uint8Array,
  kind: ContainerKind,
  at: { index: string; name: string },
  depth: number,
  maxPartBytes: number,
  visitor: Visitor,
): Promise<Walk> {
  const opened = await childrenOf(data, kind, maxPartBytes);
  if (!opened.ok) return opened;
  const { children, bodyHtml } = opened;
  if (children.length > MAX_PARTS) return tooMany(`${children.length} attachments or members`);
  let documents = 0;
  for (const [position, child] of children.entries()) {
    const index = `${at.index}${position}`;
    const name = `${at.name}${child.name}`;
    // Skipped parts are not counted as documents: the body is only wanted when the listing found none.
    if (!visitor.wants(index)) continue;
    const read = child.read();
    if ('problem' in read) {
      if (visitor.visit({ index, name, problem: read.problem }) === 'stop') return { ok: true, stopped: true };
      continue;
    }
    const inner = child.mail ?? containerKind(child.name, read.data);
    if (inner) {
      documents++;
      if (depth >= MAX_DEPTH) {
        if (visitor.visit({ index, name, problem: { code: 'PART_CORRUPT', message: `a container nested more than ${MAX_DEPTH} deep: not opened` } }) === 'stop')
          return { ok: true, stopped: true };
        continue;
      }
      const nested = await walk(read.data, inner, { index: `${index}/`, name: `${name}/` }, depth + 1, maxPartBytes, visitor);
      if (!nested.ok) {
        if (nested.code === 'CONTAINER_TOO_MANY_PARTS') return nested;
        if (visitor.visit({ index, name, problem: { code: 'PART_CORRUPT', message: nested.message } }) === 'stop') return { ok: true, stopped: true };
      } else if (nested.stopped) return nested;
      continue;
    }
    if (!isDocument(child.name, read.data)) {
      // Logos and signatures shown in the body are not worth a record; other files are named as skipped.
      if (child.inline) continue;
      const problem = { code: 'PART_NOT_READ' as const, message: 'not a document docpool reads (a PDF, an image, an XML e-invoice, a mail or a ZIP)' };
      if (visitor.visit({ index, name, problem }) === 'stop') return { ok: true, stopped: true };
      continue;
    }
    if (child.inline && read.data.length < MIN_INLINE_DOCUMENT_BYTES) continue;
    documents++;
    if (visitor.visit({ index, name, data: read.data }) === 'stop') return { ok: true, stopped: true };
  }
  // An invoice sent as the mail's own text: the body is the document when nothing attached is one.
  if (bodyHtml && documents === 0 && visibleChars(bodyHtml) >= MIN_BODY_CHARS) {
    const body = { index: `${at.index}body`, name: `${at.name}${BODY_NAME}` };
    if (visitor.wants(body.index) && visitor.visit({ ...body, data: Buffer.from(bodyHtml, 'utf8') }) === 'stop') return { ok: true, stopped: true };
  }
  return { ok: true, stopped: false };
}

async function childrenOf(
  data: Uint8Array,
  kind: ContainerKind,
  maxPartBytes: number,
): Promise<{ ok: true; children: Child[]; bodyHtml?: string } | { ok: false; code: ContainerFailureCode; message: string }> {
  if (kind === 'zip') {
    const listing = listZip(data, MAX_PARTS);
    if (!listing.ok) return /over the/.test(listing.reason) ? tooMany(listing.reason) : corrupt('ZIP', listing.reason);
    const children = listing.members
      .filter((member) => !member.directory)
      .map((member): Child => ({ name: member.name, read: () => readZipMember(data, member, maxPartBytes) }));
    return { ok: true, children };
  }
  let mail: MailContent;
  try {
    mail = kind === 'eml' ? await readEml(data) : readMsg(data);
  } catch (error) {
    const message = messageOf(error);
    // mailparser's own bound on MIME parts (a mail of 10,000 attachments reaches it).
    if (/child nodes exceeded/i.test(message)) return tooMany('more MIME parts than mailparser reads');
    return corrupt(kind === 'eml' ? 'mail' : 'Outlook .msg', message);
  }
  const children = mail.entries.map((entry): Child => ({
    name: safeLabel(entry.name),
    read: () => (entry.data.length > maxPartBytes ? { problem: tooLargePart(entry.data.length, maxPartBytes) } : { data: entry.data }),
    ...(entry.mail ? { mail: entry.mail } : {}),
    inline: entry.inline,
  }));
  return { ok: true, children, ...(mail.bodyHtml ? { bodyHtml: mail.bodyHtml } : {}) };
}

function readZipMember(data: Uint8Array, member: Parameters<typeof readMember>[1], maxPartBytes: number): ReturnType<Child['read']> {
  if (unsafeName(member.name)) {
    return { problem: { code: 'PART_UNSAFE_NAME', message: `the member's name ${JSON.stringify(member.name)} would leave its folder: not read` } };
  }
  if (member.encrypted) return { problem: { code: 'PART_ENCRYPTED', message: 'an encrypted member: it needs a password' } };
  const read = readMember(data, member, maxPartBytes);
  if (read.ok) return { data: read.data };
  return {
    problem: read.bomb ? { code: 'PART_TOO_LARGE', message: read.reason } : { code: 'PART_CORRUPT', message: `the member cannot be read: ${read.reason}` },
  };
}

/** `../x.pdf`, `/etc/x`, `C:\x`: a name that, written out as a path, would land outside its folder. */
function unsafeName(name: string): boolean {
  const normalised = name.replace(/\\/g, '/');
  return normalised.startsWith('/') || /^[a-zA-Z]:/.test(normalised) || normalised.split('/').includes('..');
}

/** A name for display: control characters out, folders kept as the archive names them. */
function safeLabel(name: string): string {
  return name.replace(/[\u0000-\u001f\u007f]/g, '_') || 'attachment';
}

function isDocument(name: string, data: Uint8Array): boolean {
  return hasPdfHeader(data) || sniffImage(data) !== undefined || /\.xml$/i.test(name) || startsAsXml(data);
}

/** The OLE compound file signature (MS-CFB 2.2), which an Outlook .msg begins with. */
function isCompoundFile(data: Uint8Array): boolean {
  const magic = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
  return magic.every((byte, index) => data[index] === byte);
}

function visibleChars(html: string): number {
  return html
    .replace(/<(style|script)[\s\S]*?<\/\1>/gi, '')
    .replace(/<[^>]*>/g, '')
    .replace(/&\w+;|\s+/g, '').length;
}

function sha256Of(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function tooLargePart(bytes: number, limit: number): { code: 'PART_TOO_LARGE'; message: string } {
  return { code: 'PART_TOO_LARGE', message: `${bytes} bytes, over the ${limit}-byte limit (raise --max-file-mb to read it)` };
}

function tooMany(detail: string): { ok: false; code: 'CONTAINER_TOO_MANY_PARTS'; message: string } {
  return { ok: false, code: 'CONTAINER_TOO_MANY_PARTS', message: `${detail}: over the ${MAX_PARTS} docpool reads from one file; split it` };
}

function corrupt(what: string, detail: string): { ok: false; code: 'CONTAINER_CORRUPT'; message: string } {
  return { ok: false, code: 'CONTAINER_CORRUPT', message: `the ${what} cannot be read: ${detail}` };
}
