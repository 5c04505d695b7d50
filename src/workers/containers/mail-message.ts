import MsgReaderModule from '@kenjiuno/msgreader';
import { simpleParser } from 'mailparser';

/**
 * A mail's attachments, and its body: an .eml (MIME, read by mailparser) or an Outlook .msg (a
 * compound file, read by @kenjiuno/msgreader). Attachments come out whole: a mail is bounded by
 * the file size limit like any file.
 */
export interface MailEntry {
  readonly name: string;
  readonly data: Uint8Array;
  /** An image shown inside the body (a logo, a signature): a document only when large. */
  readonly inline: boolean;
  /** A mail attached to this one (message/rfc822, or an embedded .msg). */
  readonly mail?: 'eml' | 'msg';
}

export interface MailContent {
  readonly entries: readonly MailEntry[];
  /** The body as HTML (a text body wrapped), when it has any words. */
  readonly bodyHtml?: string;
}

const MsgReader = ((MsgReaderModule as unknown as { default?: typeof MsgReaderModule }).default ?? MsgReaderModule) as unknown as new (buffer: ArrayBuffer) => {
  getFileData(): {
    error?: string;
    body?: string;
    bodyHtml?: string;
    attachments?: Array<{ fileName?: string; innerMsgContent?: true; attachmentHidden?: boolean }>;
  };
  getAttachment(attachment: unknown): { fileName: string; content: Uint8Array };
};

export async function readEml(data: Uint8Array): Promise<MailContent> {
  const parsed = await simpleParser(Buffer.from(data.buffer, data.byteOffset, data.length), { skipTextToHtml: true, skipImageLinks: true });
  const entries = parsed.attachments.map((attachment, index) => ({
    name: attachment.filename ?? `attachment-${index + 1}${attachment.contentType === 'message/rfc822' ? '.eml' : ''}`,
    data: new Uint8Array(attachment.content.buffer, attachment.content.byteOffset, attachment.content.length),
    inline: attachment.related === true || attachment.contentDisposition === 'inline',
    ...(attachment.contentType === 'message/rfc822' ? { mail: 'eml' as const } : {}),
  }));
  const bodyHtml = typeof parsed.html === 'string' ? parsed.html : parsed.text ? textAsHtml(parsed.text) : undefined;
  return { entries, ...(bodyHtml ? { bodyHtml } : {}) };
}

export function readMsg(data: Uint8Array): MailContent {
  const reader = new MsgReader(data.buffer.slice(data.byteOffset, data.byteOffset + data.length) as ArrayBuffer);
  const fields = reader.getFileData();
  if (fields.error) throw new Error(fields.error);
  const entries = (fields.attachments ?? []).map((attachment, index) => {
    const content = reader.getAttachment(attachment);
    return {
      name: content.fileName || attachment.fileName || `attachment-${index + 1}`,
      data: content.content,
      inline: attachment.attachmentHidden === true,
      ...(attachment.innerMsgContent ? { mail: 'msg' as const } : {}),
    };
  });
  const bodyHtml = fields.bodyHtml ?? (fields.body ? textAsHtml(fields.body) : undefined);
  return { entries, ...(bodyHtml ? { bodyHtml } : {}) };
}

function textAsHtml(text: string): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<html><body><pre style="white-space: pre-wrap; font-family: sans-serif">${escaped}</pre></body></html>`;
}
