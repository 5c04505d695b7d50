/**
 * A tokenizer-like count of text tokens. The SDK's LocalTokenizer downloads its SentencePiece
 * model at run time, which the emulator cannot (and must not) do, so this follows how such a
 * vocabulary splits text instead of dividing characters by a constant:
 * - every digit is a token of its own (Gemma's vocabulary splits numbers digit by digit), so an
 *   invoice full of amounts costs far more than its length suggests;
 * - a word of letters is one token up to 6 characters, then one more per 4 (common words are
 *   whole tokens; long or rare ones break into pieces);
 * - every other symbol (punctuation, currency signs) is one token, and so is each character of a
 *   script without spaces (CJK);
 * - runs of whitespace fold into the token that follows, except line breaks, one each.
 * English prose comes out near 4 characters a token, as Google documents; tables of numbers and
 * short labels do not, which is the point: a client's chars/4 estimate is off, as it is against
 * the real service.
 */
export function countTextTokens(text: string): number {
  let tokens = 0;
  for (const match of text.matchAll(/\p{Script=Han}|\p{Script=Hiragana}|\p{Script=Katakana}|\p{Script=Hangul}|\p{L}+|\p{N}|\n|[^\s\p{L}\p{N}]/gu)) {
    const piece = match[0];
    if (/^\p{L}{7,}$/u.test(piece)) tokens += 1 + Math.ceil((piece.length - 6) / 4);
    else tokens += 1;
  }
  return tokens;
}
