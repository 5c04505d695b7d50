/** Per-language wording and number/date formatting for generated documents. */
export type Lang = 'en' | 'de' | 'fr';

export const WORDS = {
  en: {
    invoice: 'INVOICE',
    invoiceNo: 'Invoice No.',
    invoiceDate: 'Invoice Date',
    due: 'Due Date',
    billTo: 'Bill To',
    subtotal: 'Subtotal',
    tax: 'VAT',
    total: 'Total Due',
    vatId: 'VAT ID',
    qty: 'Qty',
    unitPrice: 'Unit Price',
    amount: 'Amount',
    description: 'Description',
    page: 'Page',
    of: 'of',
    expense: 'EXPENSE REPORT',
    employee: 'Employee',
    period: 'Period',
    reportDate: 'Report Date',
    category: 'Category',
    reimbursable: 'Total Reimbursable',
    approvedBy: 'Approved by',
    receipt: 'RECEIPT',
    thanks: 'Thank you for your purchase!',
    paidBy: 'Paid by',
    card: 'Card',
    cash: 'Cash',
    purchaseOrder: 'PURCHASE ORDER',
    poNo: 'PO Number',
    orderDate: 'Order Date',
    supplier: 'Supplier',
    shipTo: 'Ship To',
    statement: 'ACCOUNT STATEMENT',
    holder: 'Account holder',
    opening: 'Opening balance',
    closing: 'Closing balance',
    agreement: 'SERVICE AGREEMENT',
    between: 'This Agreement is made between',
    and: 'and',
    clause: 'Clause',
    effective: 'Effective date',
    dear: 'Dear',
    regards: 'Kind regards',
    subjectLine: 'Subject',
    categories: ['Travel', 'Meals', 'Lodging', 'Office supplies', 'Mileage'],
    items: ['Consulting services', 'Software licence', 'Office chairs', 'Printer toner', 'Cloud hosting', 'Maintenance', 'Training day', 'Shipping'],
    clauses: [
      'The Provider shall deliver the services with due care.',
      'Payment is due within thirty days of invoice.',
      'Either party may terminate with ninety days notice.',
      'This agreement is governed by the laws of the State of New York.',
    ],
    letterBody: [
      'We are writing to inform you about the changes to our opening hours.',
      'Please find enclosed the documents you requested.',
      'We look forward to meeting you at the annual conference.',
    ],
  },
  de: {
    invoice: 'RECHNUNG',
    invoiceNo: 'Rechnungsnummer',
    invoiceDate: 'Rechnungsdatum',
    due: 'Fällig am',
    billTo: 'Rechnungsempfänger',
    subtotal: 'Zwischensumme',
    tax: 'MwSt.',
    total: 'Gesamtbetrag',
    vatId: 'USt-IdNr.',
    qty: 'Menge',
    unitPrice: 'Einzelpreis',
    amount: 'Betrag',
    description: 'Beschreibung',
    page: 'Seite',
    of: 'von',
    expense: 'REISEKOSTENABRECHNUNG',
    employee: 'Mitarbeiter',
    period: 'Zeitraum',
    reportDate: 'Datum',
    category: 'Kategorie',
    reimbursable: 'Erstattungsbetrag',
    approvedBy: 'Genehmigt von',
    receipt: 'KASSENBON',
    thanks: 'Vielen Dank für Ihren Einkauf!',
    paidBy: 'Bezahlt mit',
    card: 'Karte',
    cash: 'Bar',
    purchaseOrder: 'BESTELLUNG',
    poNo: 'Bestellnummer',
    orderDate: 'Bestelldatum',
    supplier: 'Lieferant',
    shipTo: 'Lieferadresse',
    statement: 'KONTOAUSZUG',
    holder: 'Kontoinhaber',
    opening: 'Anfangssaldo',
    closing: 'Endsaldo',
    agreement: 'DIENSTLEISTUNGSVERTRAG',
    between: 'Dieser Vertrag wird geschlossen zwischen',
    and: 'und',
    clause: 'Paragraph',
    effective: 'Gültig ab',
    dear: 'Sehr geehrte Damen und Herren',
    regards: 'Mit freundlichen Grüßen',
    subjectLine: 'Betreff',
    categories: ['Reise', 'Verpflegung', 'Übernachtung', 'Büromaterial', 'Kilometergeld'],
    items: ['Beratungsleistung', 'Softwarelizenz', 'Bürostühle', 'Druckertoner', 'Cloud-Hosting', 'Wartung', 'Schulungstag', 'Versand'],
    clauses: [
      'Der Auftragnehmer erbringt die Leistungen mit der gebotenen Sorgfalt.',
      'Zahlungen sind innerhalb von dreißig Tagen fällig.',
      'Der Vertrag kann mit einer Frist von drei Monaten gekündigt werden.',
      'Es gilt deutsches Recht.',
    ],
    letterBody: [
      'Wir möchten Sie über die Änderung unserer Öffnungszeiten informieren.',
      'Anbei erhalten Sie die angeforderten Unterlagen.',
      'Wir freuen uns auf Ihren Besuch auf unserer Jahrestagung.',
    ],
  },
  fr: {
    invoice: 'FACTURE',
    invoiceNo: 'N° de facture',
    invoiceDate: 'Date de facture',
    due: 'Échéance',
    billTo: 'Facturé à',
    subtotal: 'Total HT',
    tax: 'TVA',
    total: 'Total TTC',
    vatId: 'N° TVA',
    qty: 'Qté',
    unitPrice: 'Prix unitaire',
    amount: 'Montant',
    description: 'Désignation',
    page: 'Page',
    of: 'sur',
    expense: 'NOTE DE FRAIS',
    employee: 'Salarié',
    period: 'Période',
    reportDate: 'Date',
    category: 'Catégorie',
    reimbursable: 'Total à rembourser',
    approvedBy: 'Approuvé par',
    receipt: 'TICKET DE CAISSE',
    thanks: 'Merci de votre visite !',
    paidBy: 'Payé par',
    card: 'Carte',
    cash: 'Espèces',
    purchaseOrder: 'BON DE COMMANDE',
    poNo: 'N° de commande',
    orderDate: 'Date de commande',
    supplier: 'Fournisseur',
    shipTo: 'Livrer à',
    statement: 'RELEVÉ DE COMPTE',
    holder: 'Titulaire du compte',
    opening: 'Solde initial',
    closing: 'Solde final',
    agreement: 'CONTRAT DE PRESTATION',
    between: 'Le présent contrat est conclu entre',
    and: 'et',
    clause: 'Article',
    effective: "Date d'effet",
    dear: 'Madame, Monsieur',
    regards: 'Cordialement',
    subjectLine: 'Objet',
    categories: ['Déplacement', 'Repas', 'Hébergement', 'Fournitures', 'Indemnités kilométriques'],
    items: [
      'Prestation de conseil',
      'Licence logicielle',
      'Chaises de bureau',
      'Toner imprimante',
      'Hébergement cloud',
      'Maintenance',
      'Journée de formation',
      'Livraison',
    ],
    clauses: [
      'Le prestataire exécute les prestations avec diligence.',
      'Le paiement est dû sous trente jours.',
      'Chaque partie peut résilier avec un préavis de trois mois.',
      'Le présent contrat est soumis au droit français.',
    ],
    letterBody: [
      "Nous vous informons de la modification de nos horaires d'ouverture.",
      'Veuillez trouver ci-joint les documents demandés.',
      'Nous serons ravis de vous accueillir lors de notre conférence annuelle.',
    ],
  },
} as const;

export const CURRENCIES: Record<Lang, readonly string[]> = { en: ['USD', 'GBP', 'EUR'], de: ['EUR', 'CHF'], fr: ['EUR'] };

const SYMBOLS: Record<string, string> = { USD: '$', GBP: '£', EUR: '€' };

/** 1234.5 → "1,234.50" (en), "1.234,50" (de), "1 234,50" (fr). */
export function formatNumber(value: number, lang: Lang): string {
  const [whole, cents] = Math.abs(value).toFixed(2).split('.') as [string, string];
  const group = lang === 'en' ? ',' : lang === 'de' ? '.' : ' ';
  const decimal = lang === 'en' ? '.' : ',';
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, group);
  return `${value < 0 ? '-' : ''}${grouped}${decimal}${cents}`;
}

/** Money as a document in that language would print it, with symbol or ISO code. */
export function formatMoney(value: number, currency: string, lang: Lang, useSymbol: boolean): string {
  const number = formatNumber(value, lang);
  const symbol = SYMBOLS[currency];
  if (!useSymbol || !symbol) return `${number} ${currency}`;
  return lang === 'en' ? `${symbol}${number}` : `${number} ${symbol}`;
}

const MONTHS_EN = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** ISO date → the way the language writes it; `iso` style keeps ISO (common on machine invoices). */
export function formatDate(iso: string, lang: Lang, style: 'local' | 'iso'): string {
  if (style === 'iso') return iso;
  const [year, month, day] = iso.split('-') as [string, string, string];
  if (lang === 'en') return `${MONTHS_EN[Number(month) - 1]} ${Number(day)}, ${year}`;
  return lang === 'de' ? `${day}.${month}.${year}` : `${day}/${month}/${year}`;
}

export function isoDate(year: number, month: number, day: number): string {
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export function addDays(iso: string, days: number): string {
  const date = new Date(`${iso}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}
