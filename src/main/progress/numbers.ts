/** How every count docpool prints reads: whole, with thousands separated ("7,300"), whatever the locale. */
export function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
