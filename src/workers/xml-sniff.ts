/** Whether the first bytes are an XML declaration (a byte-order mark and blanks allowed before it). */
export function startsAsXml(data: Uint8Array): boolean {
  const head = Buffer.from(data.buffer, data.byteOffset, Math.min(data.length, 64)).toString('utf8');
  return /^\uFEFF?\s*<\?xml/.test(head);
}
