import type { ProfileDefinition } from './profile-definition.ts';
import type { ResponseSchema } from './response-schema.ts';

const text = (description: string): ResponseSchema => ({ type: 'STRING', nullable: true, description });
const money = (description: string): ResponseSchema => ({ type: 'NUMBER', nullable: true, description });
const isoDate = (description: string): ResponseSchema => ({ type: 'STRING', nullable: true, description: `${description}, as YYYY-MM-DD` });
const currency: ResponseSchema = { type: 'STRING', nullable: true, description: 'ISO 4217 code, e.g. EUR, USD, GBP' };

/** The built-in profile for finance and operations teams: DESIGN §1's default. */
export const FINANCE_PROFILE: ProfileDefinition = {
  name: 'finance',
  version: 1,
  classes: [
    { name: 'vendor_invoice', description: 'an invoice or bill from a supplier asking for payment' },
    { name: 'employee_expense_report', description: "an employee's expense report or reimbursement claim listing expenses" },
    { name: 'receipt', description: 'a till or card receipt for a purchase already paid' },
    { name: 'purchase_order', description: 'a purchase order sent to a supplier' },
    { name: 'bank_statement', description: 'a bank or card account statement listing transactions and balances' },
    { name: 'contract', description: 'a contract, agreement or terms between parties' },
    { name: 'other', description: 'anything else: letters, reports, forms, unreadable pages' },
  ],
  classifyPrompt:
    'You sort business documents for a finance team. Read the document and answer with the one class that fits best, and your confidence from 0 to 1. Use "other" when nothing fits or the pages are unreadable.',
  extract: {
    vendor_invoice: {
      prompt: 'Extract the invoice fields. Amounts are numbers in the invoice currency (1.234,56 is 1234.56). Use null for anything not on the document.',
      schema: {
        type: 'OBJECT',
        properties: {
          invoice_number: text('the invoice number as printed'),
          invoice_date: isoDate('the issue date'),
          due_date: isoDate('the payment due date'),
          currency,
          subtotal: money('total before tax'),
          tax: money('total tax'),
          total: money('total amount due, tax included'),
          vendor_name: text('the company that issued the invoice'),
          vendor_tax_id: text("the issuer's VAT or tax id"),
          customer_name: text('the company billed'),
          line_items: {
            type: 'ARRAY',
            items: {
              type: 'OBJECT',
              properties: { description: text('item'), quantity: money('quantity'), unit_price: money('price per unit'), amount: money('line total') },
            },
          },
        },
        required: ['invoice_number', 'invoice_date', 'total', 'currency', 'vendor_name'],
      },
    },
    employee_expense_report: {
      prompt: 'Extract the expense report fields. Amounts are numbers. Use null for anything not on the document.',
      schema: {
        type: 'OBJECT',
        properties: {
          employee_name: text('who claims the expenses'),
          report_date: isoDate('the date of the report'),
          period_start: isoDate('first day covered'),
          period_end: isoDate('last day covered'),
          currency,
          total: money('total to reimburse'),
          items: {
            type: 'ARRAY',
            items: { type: 'OBJECT', properties: { date: isoDate('expense date'), category: text('kind of expense'), amount: money('amount') } },
          },
        },
        required: ['employee_name', 'total', 'currency'],
      },
    },
    receipt: {
      prompt: 'Extract the receipt fields. Amounts are numbers. payment_method is "card" or "cash". Use null for anything not on the document.',
      schema: {
        type: 'OBJECT',
        properties: {
          merchant_name: text('the shop or merchant'),
          receipt_date: isoDate('the purchase date'),
          currency,
          total: money('total paid'),
          tax: money('tax included in the total'),
          payment_method: { type: 'STRING', nullable: true, enum: ['card', 'cash'] },
        },
        required: ['merchant_name', 'total', 'currency'],
      },
    },
  },
  checks: {
    vendor_invoice: [
      { rule: 'required', fields: ['invoice_number', 'invoice_date', 'total', 'currency', 'vendor_name'] },
      { rule: 'sum', terms: ['subtotal', 'tax'], total: 'total' },
      { rule: 'lines-sum', lines: 'line_items', amount: 'amount', total: 'subtotal' },
      { rule: 'line-product', lines: 'line_items', quantity: 'quantity', unitPrice: 'unit_price', amount: 'amount' },
      { rule: 'date', fields: ['invoice_date', 'due_date'] },
      // Payment terms beyond half a year are rare enough to look at (and a year misread lands there).
      { rule: 'date-order', earlier: 'invoice_date', later: 'due_date', maxDays: 180 },
      { rule: 'currency', field: 'currency' },
      { rule: 'vat-id', field: 'vendor_tax_id' },
    ],
    employee_expense_report: [
      { rule: 'required', fields: ['employee_name', 'total', 'currency'] },
      { rule: 'lines-sum', lines: 'items', amount: 'amount', total: 'total' },
      { rule: 'date', fields: ['report_date', 'period_start', 'period_end'] },
      { rule: 'date-order', earlier: 'period_start', later: 'period_end', maxDays: 366 },
      { rule: 'date-order', earlier: 'period_end', later: 'report_date', maxDays: 180 },
      { rule: 'currency', field: 'currency' },
    ],
    receipt: [
      { rule: 'required', fields: ['merchant_name', 'total', 'currency'] },
      { rule: 'date', fields: ['receipt_date'] },
      { rule: 'not-above', field: 'tax', limit: 'total' },
      { rule: 'currency', field: 'currency' },
    ],
  },
  duplicates: [{ class: 'vendor_invoice', vendor: 'vendor_name', number: 'invoice_number', total: 'total' }],
  eInvoice: {
    class: 'vendor_invoice',
    fields: {
      invoice_number: 'BT-1',
      invoice_date: 'BT-2',
      due_date: 'BT-9',
      currency: 'BT-5',
      subtotal: 'BT-109',
      tax: 'BT-110',
      total: 'BT-112',
      vendor_name: 'BT-27',
      vendor_tax_id: 'BT-31',
      customer_name: 'BT-44',
      line_items: 'BG-25',
    },
    lineFields: { description: 'BT-153', quantity: 'BT-129', unit_price: 'BT-146', amount: 'BT-131' },
  },
};
