import { z } from 'zod';

/**
 * The schema dialect Gemini's `responseSchema` accepts (an OpenAPI 3.0 subset): what profiles
 * use to describe answers. One definition serves both the request and the zod validation.
 */
export interface ResponseSchema {
  readonly type: 'OBJECT' | 'ARRAY' | 'STRING' | 'NUMBER' | 'INTEGER' | 'BOOLEAN';
  readonly description?: string;
  readonly enum?: readonly string[];
  readonly nullable?: boolean;
  readonly properties?: Readonly<Record<string, ResponseSchema>>;
  readonly required?: readonly string[];
  readonly items?: ResponseSchema;
}

export const responseSchemaSchema: z.ZodType<ResponseSchema> = z.lazy(() =>
  z
    .object({
      type: z.enum(['OBJECT', 'ARRAY', 'STRING', 'NUMBER', 'INTEGER', 'BOOLEAN']),
      description: z.string().optional(),
      enum: z.array(z.string()).min(1).optional(),
      nullable: z.boolean().optional(),
      properties: z.record(z.string(), responseSchemaSchema).optional(),
      required: z.array(z.string()).optional(),
      items: responseSchemaSchema.optional(),
    })
    .strict()
    .refine((schema) => schema.type !== 'ARRAY' || schema.items !== undefined, { message: 'an ARRAY needs "items"' })
    .refine((schema) => schema.type !== 'OBJECT' || schema.properties !== undefined, { message: 'an OBJECT needs "properties"' }),
);

/** A zod validator equivalent to a response schema, for checking what the model answered. */
export function toZod(schema: ResponseSchema): z.ZodType {
  let base: z.ZodType;
  switch (schema.type) {
    case 'OBJECT': {
      const required = new Set(schema.required ?? []);
      const shape: Record<string, z.ZodType> = {};
      for (const [key, child] of Object.entries(schema.properties ?? {})) {
        const inner = toZod(child);
        shape[key] = required.has(key) ? inner : inner.optional();
      }
      base = z.object(shape);
      break;
    }
    case 'ARRAY':
      base = z.array(toZod(schema.items!));
      break;
    case 'STRING':
      base = schema.enum ? z.enum(schema.enum as [string, ...string[]]) : z.string();
      break;
    case 'NUMBER':
      base = z.number();
      break;
    case 'INTEGER':
      base = z.number().int();
      break;
    case 'BOOLEAN':
      base = z.boolean();
      break;
  }
  return schema.nullable ? base.nullable() : base;
}
