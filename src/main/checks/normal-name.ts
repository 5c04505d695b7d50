/** Legal forms dropped from a company's name: "Müller GmbH" and "MULLER" are the same vendor. */
const LEGAL_FORMS = new Set(
  'gmbh ag kg kgaa ohg ug ek co ltd limited inc incorporated llc llp plc corp corporation company sa sas sarl sasu eurl sca bv nv vof srl spa snc oy ab as asa aps se sl'.split(
    ' ',
  ),
);

/** A name without case, accents, punctuation, spacing or legal form: how two spellings of one company compare. */
export function normalName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word && !LEGAL_FORMS.has(word))
    .join(' ');
}
