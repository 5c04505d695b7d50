import { crc32, deflateRawSync } from 'node:zlib';
import { burn } from '@kenjiuno/msgreader/lib/Burner.js';
import { TypeEnum } from '@kenjiuno/msgreader/lib/Reader.js';

/**
 * Documents the way they arrive: attached to an e-mail (.eml, MIME), to an Outlook message (.msg,
 * a compound file written by msgreader's own CFB writer), or packed in a portal's ZIP export.
 */
export interface Attachment {
  readonly name: string;
  readonly data: Uint8Array;
}

const MIME_TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  jpg: 'image/jpeg',
  png: 'image/png',
  tif: 'image/tiff',
  xml: 'application/xml',
};

/** A multipart/mixed mail: a short text, then each attachment in base64. */
export function emlWith(subject: string, text: string, attachments: readonly Attachment[], date: Date): Uint8Array {
  const boundary = `docpool-${crc32(subject).toString(16)}`;
  const lines = [
    'From: Accounts Payable <ap@example.com>',
    'To: Finance <finance@example.com>',
    `Subject: ${subject}`,
    `Date: ${date.toUTCString()}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    text,
  ];
  for (const attachment of attachments) {
    const type = MIME_TYPES[attachment.name.split('.').pop()!.toLowerCase()] ?? 'application/octet-stream';
    lines.push(
      `--${boundary}`,
      `Content-Type: ${type}; name="${attachment.name}"`,
      `Content-Disposition: attachment; filename="${attachment.name}"`,
      'Content-Transfer-Encoding: base64',
      '',
      ...(Buffer.from(attachment.data)
        .toString('base64')
        .match(/.{1,76}/g) ?? []),
    );
  }
  lines.push(`--${boundary}--`, '');
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

/** An Outlook .msg: subject, body and each attachment's long file name and data (MS-OXMSG property streams). */
export function msgWith(subject: string, text: string, attachments: readonly Attachment[]): Uint8Array {
  const stream = (name: string, data: Uint8Array) => ({ name, type: TypeEnum.DOCUMENT, binaryProvider: () => data, length: data.length });
  // Standalone arrays: the writer reads each provider's bytes whole, and a pooled Buffer's would bring its neighbours.
  const utf16 = (value: string) => Uint8Array.from(Buffer.from(value, 'utf16le'));
  const entries: Parameters<typeof burn>[0] = [
    { name: 'Root Entry', type: TypeEnum.ROOT, length: 0, children: [] },
    stream('__substg1.0_0037001F', utf16(subject)),
    stream('__substg1.0_1000001F', utf16(text)),
  ];
  entries[0]!.children!.push(1, 2);
  attachments.forEach((attachment, index) => {
    const folder = entries.length;
    entries[0]!.children!.push(folder);
    entries.push({
      name: `__attach_version1.0_#${index.toString(16).toUpperCase().padStart(8, '0')}`,
      type: TypeEnum.DIRECTORY,
      length: 0,
      children: [folder + 1, folder + 2],
    });
    entries.push(stream('__substg1.0_3707001F', utf16(attachment.name)), stream('__substg1.0_37010102', Uint8Array.from(attachment.data)));
  });
  return burn(entries);
}

/** A ZIP of the members, deflated, names in UTF-8 (APPNOTE 6.3: local headers, central directory, end record). */
export function zipOf(members: readonly Attachment[]): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const member of members) {
    const name = Buffer.from(member.name, 'utf8');
    const data = deflateRawSync(member.data);
    const crc = crc32(member.data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(member.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(member.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
