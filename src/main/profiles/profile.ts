import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
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
}

const profileSchema = z
  .object({
    name: z.string().min(1),
    version: z.number().int().nonnegative(),
    classes: z.array(z.object({ name: z.string().regex(/^[a-z0-9_]+$/, 'class names are lower_snake_case'), description: z.string().min(1) }).strict()).min(2),
    classifyPrompt: z.string().min(1),
    extract: z.record(z.string(), z.object({ prompt: z.string().min(1), schema: responseSchemaSchema }).strict()).default({}),
  })
  .strict()
  .superRefine((profile, context) => {
    const names = new Set(profile.classes.map((entry) => entry.name));
    if (names.size !== profile.classes.length) context.addIssue({ code: 'custom', path: ['classes'], message: 'class names must be unique' });
    for (const [name, entry] of Object.entries(profile.extract)) {
      if (!names.has(name)) context.addIssue({ code: 'custom', path: ['extract', name], message: `"${name}" is not one of the classes` });
      if (entry.schema.type !== 'OBJECT') context.addIssue({ code: 'custom', path: ['extract', name, 'schema', 'type'], message: 'an extraction schema must be an OBJECT' });
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
    throw new UsageError(`--profile: expected a built-in profile (${Object.keys(BUILT_IN_PROFILES).join(', ')}) or a JSON file, got "${nameOrFile}" (${reason})`);
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
  return {
    ...definition,
    classifySchema,
    validateClassification: toZod(classifySchema) as z.ZodType<{ label: string; confidence: number }>,
    validateFields: Object.fromEntries(Object.entries(definition.extract).map(([name, entry]) => [name, toZod(entry.schema)])),
  };
}

/** The classification instructions: the prompt and every class with its description. */
export function classifyInstruction(profile: ProfileDefinition): string {
  const classes = profile.classes.map((entry) => `- ${entry.name}: ${entry.description}`).join('\n');
  return `${profile.classifyPrompt}\n\nClasses:\n${classes}`;
}
