/**
 * The finance profile's classes: the vocabulary the built-in profile asks for, the offline rules
 * answer with, and the corpus generator writes as ground truth.
 */
export const FINANCE_LABELS = ['vendor_invoice', 'employee_expense_report', 'receipt', 'purchase_order', 'bank_statement', 'contract', 'other'] as const;

export type FinanceLabel = (typeof FINANCE_LABELS)[number];
