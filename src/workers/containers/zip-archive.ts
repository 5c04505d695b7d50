import { inflateRawSync } from 'node:zlib';

/**
 * A ZIP archive read from its central directory (APPNOTE 6.3: end record, central headers, local
 * headers), by hand because it is short and every bound matters: a member is inflated by zlib with
 * a ceiling on its output, so a bomb costs at most the ceiling; its name is a label, never a path
 * written to; encrypted members are named as such, not guessed at.
 */
export interface ZipMember {
  /** Position in the central directory. */
  readonly index: number;
  readonly name: string;
  readonly directory: boolean;
  readonly encrypted: boolean;
  /** 0 stored, 8 deflated; anything else is not read. */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

export type ZipListing = { readonly ok: true; readonly members: readonly ZipMember[] } | { readonly ok: false; readonly reason: string };

const END_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
/** The end record sits in the last 22 bytes plus a comment of at most 65,535. */
const END_SEARCH = 22 + 0xffff;

export function isZip(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0x50 && data[1] === 0x4b && (data[2] === 3 || data[2] === 5) && (data[3] === 4 || data[3] === 6);
}

export function listZip(data: Uint8Array, maxMembers: number): ZipListing {
  const view = Buffer.from(data.buffer, data.byteOffset, data.length);
  const end = findEnd(view);
  if (end < 0) return { ok: false, reason: 'no end-of-central-directory record: not a ZIP, or cut short' };
  const count = view.readUInt16LE(end + 10);
  const offset = view.readUInt32LE(end + 16);
  if (count === 0xffff || offset === 0xffffffff) return { ok: false, reason: 'a ZIP64 archive (over 65,535 members or 4 GB), which docpool does not read' };
  if (count > maxMembers) return { ok: false, reason: `${count} members, over the ${maxMembers} docpool reads from one archive` };
  const members: ZipMember[] = [];
  let at = offset;
  for (let index = 0; index < count; index++) {
    if (at + 46 > view.length || view.readUInt32LE(at) !== CENTRAL_SIGNATURE) return { ok: false, reason: `central directory entry ${index + 1} is damaged` };
    const flags = view.readUInt16LE(at + 8);
    const nameLength = view.readUInt16LE(at + 28);
    const extraLength = view.readUInt16LE(at + 30);
    const commentLength = view.readUInt16LE(at + 32);
    if (at + 46 + nameLength > view.length) return { ok: false, reason: `central directory entry ${index + 1} is cut short` };
    // Bit 11: the name is UTF-8; else it is code page 437, read here as Latin-1 (the same for ASCII names).
    const name = view.toString(flags & 0x800 ? 'utf8' : 'latin1', at + 46, at + 46 + nameLength);
    members.push({
      index,
      name,
      directory: name.endsWith('/'),
      encrypted: (flags & 1) === 1,
      method: view.readUInt16LE(at + 10),
      compressedSize: view.readUInt32LE(at + 20),
      size: view.readUInt32LE(at + 24),
      localHeaderOffset: view.readUInt32LE(at + 42),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return { ok: true, members };
}

export type MemberBytes = { readonly ok: true; readonly data: Uint8Array } | { readonly ok: false; readonly reason: string; readonly bomb?: true };

/** A member's bytes, inflated with at most `ceiling` bytes of output (and no more than it declares). */
export function readMember(data: Uint8Array, member: ZipMember, ceiling: number): MemberBytes {
  const view = Buffer.from(data.buffer, data.byteOffset, data.length);
  const at = member.localHeaderOffset;
  if (at + 30 > view.length || view.readUInt32LE(at) !== LOCAL_SIGNATURE) return { ok: false, reason: 'its local header is missing or damaged' };
  const start = at + 30 + view.readUInt16LE(at + 26) + view.readUInt16LE(at + 28);
  const stored = view.subarray(start, start + member.compressedSize);
  if (stored.length < member.compressedSize) return { ok: false, reason: 'its data is cut short' };
  if (member.size > ceiling) return { ok: false, reason: `it declares ${member.size} bytes, over the ${ceiling}-byte limit`, bomb: true };
  if (member.method === 0) return { ok: true, data: Uint8Array.from(stored) };
  if (member.method !== 8) return { ok: false, reason: `compression method ${member.method}, which docpool does not read (only stored and deflated)` };
  try {
    // One byte of room past the declared size: a member that inflates further lied about its size.
    const inflated = inflateRawSync(stored, { maxOutputLength: member.size + 1 });
    if (inflated.length !== member.size) return { ok: false, reason: `it inflates to ${inflated.length} bytes, not the ${member.size} it declares` };
    return { ok: true, data: inflated };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') return { ok: false, reason: `it inflates past the ${member.size} bytes it declares (a ZIP bomb)`, bomb: true };
    return { ok: false, reason: `its data does not inflate (${(error as Error).message})` };
  }
}

function findEnd(view: Buffer): number {
  for (let at = view.length - 22; at >= Math.max(0, view.length - END_SEARCH); at--) {
    if (view.readUInt32LE(at) === END_SIGNATURE) return at;
  }
  return -1;
}
