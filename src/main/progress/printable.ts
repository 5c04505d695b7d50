/**
 * Text that came from outside (a file name, a document, a server's message) as it may be shown in
 * a terminal: control characters, escape sequences (which can recolour the screen, move the
 * cursor, set the window title or hide text) and bidirectional overrides (which can reorder what
 * is read) are shown as `\xNN` / `\u{NNNN}` instead of being sent raw. One line in, one line out.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (char) => {
    const code = char.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** C0 controls (newline and tab included: one line stays one line), DEL, C1 controls, line/paragraph separators, bidi embeddings, overrides and isolates. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
