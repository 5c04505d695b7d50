import type { TextLanguage } from './language.ts';

/**
 * "1.234,56", "1,234.56", "1 234,56 €", "$4.11", "EUR 11,00" → a number. The last separator
 * followed by exactly two digits is the decimal one; every other separator groups thousands.
 */
export function parseAmount(raw: string): number | null {
  const cleaned = raw.replace(/[^0-9.,-]/g, '');
  const decimal = /[.,](\d{2})$/.exec(cleaned);
  const whole = (decimal ? cleaned.slice(0, -3) : cleaned).replace(/[.,]/g, '');
  if (whole === '' || whole === '-') return null;
  const value = Number(`${whole}${decimal ? `.${decimal[1]}` : ''}`);
  return Number.isFinite(value) ? value : null;
}

const MONTHS: Readonly<Record<string, number>> = {
  january: 1,
  february: 2,
  march: 3,
  april: 4,
  may: 5,
  june: 6,
  july: 7,
  august: 8,
  september: 9,
  october: 10,
  november: 11,
  december: 12,
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  sept: 9,
  oct: 10,
  nov: 11,
  dec: 12,
  januar: 1,
  februar: 2,
  märz: 3,
  mai: 5,
  juni: 6,
  juli: 7,
  oktober: 10,
  dezember: 12,
  janvier: 1,
  février: 2,
  mars: 3,
  avril: 4,
  juin: 6,
  juillet: 7,
  août: 8,
  septembre: 9,
  octobre: 10,
  novembre: 11,
  décembre: 12,
};

/**
 * A date in any common written form → ISO yyyy-mm-dd, or null. Slashed dates in English
 * documents are read month first (US style) unless the first part cannot be a month; dotted and
 * dashed dates are day first. Two-digit years are this century.
 */
export function parseDate(raw: string, language: TextLanguage = 'unknown'): string | null {
  const text = raw.trim();
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (iso) return valid(Number(iso[1]), Number(iso[2]), Number(iso[3]));
  const numeric = /^(\d{1,2})([./-])(\d{1,2})\2(\d{2}|\d{4})$/.exec(text);
  if (numeric) {
    const [first, separator, second, yearText] = [Number(numeric[1]), numeric[2], Number(numeric[3]), numeric[4]!];
    const year = yearText.length === 2 ? 2000 + Number(yearText) : Number(yearText);
    const monthFirst = separator === '/' && ((language === 'en' && first <= 12) || second > 12);
    return monthFirst ? valid(year, first, second) : valid(year, second, first);
  }
  const monthName = /^([A-Za-zÀ-ÿ]+)\.?\s+(\d{1,2})\s*,\s*(\d{4})$/.exec(text);
  if (monthName) return valid(Number(monthName[3]), MONTHS[monthName[1]!.toLowerCase()], Number(monthName[2]));
  const dayFirst = /^(\d{1,2})\.?\s+([A-Za-zÀ-ÿ]+)\.?\s+(\d{4})$/.exec(text);
  if (dayFirst) return valid(Number(dayFirst[3]), MONTHS[dayFirst[2]!.toLowerCase()], Number(dayFirst[1]));
  return null;
}

function valid(year: number, month: number | undefined, day: number): string | null {
  if (!month || month < 1 || month > 12 || day < 1 || day > 31 || year < 1970 || year > 2100) return null;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
