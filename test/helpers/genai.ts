import { GoogleGenAI } from '@google/genai';

/** The real SDK pointed at a loopback emulator, retries off (as docpool runs it). */
export function client(url: string, apiKey = 'test-key', timeoutMs?: number): GoogleGenAI {
  return new GoogleGenAI({ apiKey, httpOptions: { baseUrl: url, ...(timeoutMs ? { timeout: timeoutMs } : {}) } });
}

export const CLASSIFY_SCHEMA = {
  type: 'OBJECT',
  properties: {
    label: { type: 'STRING', enum: ['vendor_invoice', 'employee_expense_report', 'receipt', 'purchase_order', 'bank_statement', 'contract', 'other'] },
    confidence: { type: 'NUMBER' },
  },
  required: ['label', 'confidence'],
};

export const INVOICE_SCHEMA = {
  type: 'OBJECT',
  properties: {
    invoice_number: { type: 'STRING', nullable: true },
    invoice_date: { type: 'STRING', nullable: true },
    total: { type: 'NUMBER', nullable: true },
    currency: { type: 'STRING', nullable: true },
    vendor_name: { type: 'STRING', nullable: true },
    line_items: {
      type: 'ARRAY',
      items: { type: 'OBJECT', properties: { description: { type: 'STRING' }, quantity: { type: 'NUMBER' }, amount: { type: 'NUMBER' } } },
    },
  },
};

export function pdfPart(bytes: Uint8Array) {
  return { inlineData: { mimeType: 'application/pdf', data: Buffer.from(bytes).toString('base64') } };
}

/** The error body the SDK hides inside ApiError.message. */
export function errorBody(error: unknown): { error: { code: number; status: string; message: string; details?: Array<Record<string, unknown>> } } {
  return JSON.parse((error as Error).message) as never;
}
