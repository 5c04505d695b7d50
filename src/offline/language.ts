/** The document's language, from common words; it decides how ambiguous dates like 03/11/2017 are read. */
export type TextLanguage = 'en' | 'de' | 'fr' | 'nl' | 'unknown';

const WORDS: ReadonlyArray<readonly [TextLanguage, RegExp]> = [
  ['en', /\b(?:the|and|invoice|total|date|due|amount|please|payment|your)\b/gi],
  ['de', /\b(?:und|der|die|das|rechnung|betrag|datum|summe|bitte|zahlung|ihre)\b/gi],
  ['fr', /\b(?:le|la|les|et|facture|montant|date|total|veuillez|paiement|votre)\b/gi],
  ['nl', /\b(?:de|het|en|factuur|bedrag|datum|totaal|betaling|uw)\b/gi],
];

export function detectLanguage(text: string): TextLanguage {
  const sample = text.slice(0, 6000);
  let best: TextLanguage = 'unknown';
  let bestCount = 2; // fewer cue words than this is not enough to tell
  for (const [language, pattern] of WORDS) {
    const count = sample.match(pattern)?.length ?? 0;
    if (count > bestCount) {
      best = language;
      bestCount = count;
    }
  }
  return best;
}
