import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { checkSpecSchema, fieldsOfCheck } from '../checks/check-spec.ts';
import { UsageError } from '../errors.ts';
import { FINANCE_PROFILE } from './finance.ts';
import type { ProfileDefinition } from './profile-definition.ts';
import { type ResponseSchema, responseSchemaSchema, toZod } from './response-schema.ts';

export type { ProfileDefinition };

/** A profile ready to use: the definition plus the schemas and validators derived from it. */
export interface Profile extends ProfileDefinition {
  readonly classifySchema: ResponseSchema;
  readonly validateClassification: z.ZodType<{ label: string; confidence: number }>;
  readonly validateFields: Readonly<Record<string, z.ZodType>>;
  /** One question for the class and the fields: the class enum, then each extract class's object, nullable. */
  readonly onePassSchema: ResponseSchema;
  /** The one-pass answer is valid when its class's object (for an extract class) is there and valid. */
  readonly validateOnePass: z.ZodType<OnePassAnswer>;
}

/** What a one-pass answer holds: the class, and under each extract class's name its fields or null. */
export type OnePassAnswer = { label: string; confidence: number } & Record<string, unknown>;

const profileSchema = z
  .object({
    name: z.string().min(1),
    version: z.number().int().nonnegative(),
    classes: z.array(z.object({ name: z.string().regex(/^[a-z0-9_]+$/, 'class names are lower_snake_case'), description: z.string().min(1) }).strict()).min(2),
    classifyPrompt: z.string().min(1),
    extract: z.record(z.string(), z.object({ prompt: z.string().min(1), schema: responseSchemaSchema }).strict()).default({}),
    secondPass: z.array(z.string()).optional(),
    checks: z.record(z.string(), z.array(checkSpecSchema)).optional(),
    duplicates: z.array(z.object({ class: z.string(), vendor: z.string(), number: z.string(), total: z.string() }).strict()).optional(),
    eInvoice: z
      .object({
        class: z.string(),
        fields: z.record(z.string(), z.string().regex(/^(BT-\d+|BG-25)$/, 'an EN 16931 business term: BT-1 … (BG-25 for the lines)')),
        lineFields: z.record(z.string(), z.string().regex(/^BT-\d+$/, 'an EN 16931 business term of a line: BT-153, BT-129, BT-146, BT-131')).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((profile, context) => {
    const names = new Set(profile.classes.map((entry) => entry.name));
    if (names.size !== profile.classes.length) context.addIssue({ code: 'custom', path: ['classes'], message: 'class names must be unique' });
    for (const [name, entry] of Object.entries(profile.extract)) {
      if (!names.has(name)) context.addIssue({ code: 'custom', path: ['extract', name], message: `"${name}" is not one of the classes` });
      if (entry.schema.type !== 'OBJECT')
        context.addIssue({ code: 'custom', path: ['extract', name, 'schema', 'type'], message: 'an extraction schema must be an OBJECT' });
    }
    for (const name of profile.secondPass ?? []) {
      if (!profile.extract[name]) context.addIssue({ code: 'custom', path: ['secondPass'], message: `"${name}" is not a class with an extraction schema` });
    }
    if (profile.eInvoice && !names.has(profile.eInvoice.class))
      context.addIssue({ code: 'custom', path: ['eInvoice', 'class'], message: `"${profile.eInvoice.class}" is not one of the classes` });
    for (const [field] of Object.entries(profile.eInvoice?.fields ?? {})) {
      if (!profile.extract[profile.eInvoice!.class]?.schema.properties?.[field])
        context.addIssue({ code: 'custom', path: ['eInvoice', 'fields', field], message: `"${field}" is not a field of ${profile.eInvoice!.class}'s schema` });
    }
    for (const [name, specs] of Object.entries(profile.checks ?? {})) {
      const properties = profile.extract[name]?.schema.properties;
      if (!properties) {
        context.addIssue({ code: 'custom', path: ['checks', name], message: `"${name}" is not a class with an extraction schema` });
        continue;
      }
      specs.forEach((spec, index) => {
        for (const field of fieldsOfCheck(spec))
          if (!properties[field]) context.addIssue({ code: 'custom', path: ['checks', name, index], message: `"${field}" is not a field of ${name}'s schema` });
      });
    }
    (profile.duplicates ?? []).forEach((key, index) => {
      const properties = profile.extract[key.class]?.schema.properties;
      for (const field of [key.vendor, key.number, key.total])
        if (!properties?.[field])
          context.addIssue({ code: 'custom', path: ['duplicates', index], message: `"${field}" is not a field of ${key.class}'s extraction schema` });
    });
    for (const reserved of ['label', 'confidence']) {
      if (profile.extract[reserved])
        context.addIssue({ code: 'custom', path: ['extract', reserved], message: `"${reserved}" is a reserved name in the one-pass answer; rename the class` });
    }
  });

export const BUILT_IN_PROFILES: Readonly<Record<string, ProfileDefinition>> = { finance: FINANCE_PROFILE };

/** `--profile finance` or `--profile ./my-profile.json`; a file is validated with messages naming the field. */
export function loadProfile(nameOrFile: string): Profile {
  const builtIn = BUILT_IN_PROFILES[nameOrFile];
  if (builtIn) return prepareProfile(builtIn);
  const path = resolve(nameOrFile);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new UsageError(
      `--profile: expected a built-in profile (${Object.keys(BUILT_IN_PROFILES).join(', ')}) or a JSON file, got "${nameOrFile}" (${reason})`,
    );
  }
  const parsed = profileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`--profile ${nameOrFile}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return prepareProfile(parsed.data);
}

function prepareProfile(definition: ProfileDefinition): Profile {
  const classifySchema: ResponseSchema = {
    type: 'OBJECT',
    properties: {
      label: { type: 'STRING', enum: definition.classes.map((entry) => entry.name) },
      confidence: { type: 'NUMBER', description: 'how sure you are, 0 to 1' },
    },
    required: ['label', 'confidence'],
  };
  const validateFields = Object.fromEntries(Object.entries(definition.extract).map(([name, entry]) => [name, toZod(entry.schema)]));
  const onePassSchema: ResponseSchema = {
    type: 'OBJECT',
    properties: {
      ...classifySchema.properties,
      ...Object.fromEntries(Object.entries(definition.extract).map(([name, entry]) => [name, { ...entry.schema, nullable: true }])),
    },
    required: ['label', 'confidence'],
  };
  const validateOnePass = (toZod(classifySchema) as z.ZodObject<z.ZodRawShape>).passthrough().superRefine((answer, context) => {
    const label = answer.label as string;
    const fields = validateFields[label];
    if (!fields) return;
    if (answer[label] === null || answer[label] === undefined) {
      context.addIssue({ code: 'custom', path: [label], message: `the class is ${label} but its fields are missing` });
      return;
    }
    const checked = fields.safeParse(answer[label]);
    const issue = checked.success ? undefined : checked.error.issues[0]!;
    if (issue) context.addIssue({ code: 'custom', path: [label, ...issue.path], message: issue.message });
  }) as unknown as z.ZodType<OnePassAnswer>;
  return {
    ...definition,
    classifySchema,
    validateClassification: toZod(classifySchema) as z.ZodType<{ label: string; confidence: number }>,
    validateFields,
    onePassSchema,
    validateOnePass,
  };
}

/**
 * One question for the class and, for the classes that matter, the fields: the classification
 * instructions, then each extract class's own instructions under its name.
 */
export function onePassInstruction(profile: ProfileDefinition): string {
  const extracted = Object.entries(profile.extract)
    .map(([name, entry]) => `- ${name}: ${entry.prompt}`)
    .join('\n');
  return `${classifyInstruction(profile)}\n\nThen, if the class is one of these, fill the object named after it with the document's fields, following its instructions, and leave every other class's object null:\n${extracted}`;
}

/** The classification instructions: the prompt and every class with its description. */
export function classifyInstruction(profile: ProfileDefinition): string {
  const classes = profile.classes.map((entry) => `- ${entry.name}: ${entry.description}`).join('\n');
  return `${profile.classifyPrompt}\n\nClasses:\n${classes}`;
}
