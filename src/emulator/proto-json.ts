/**
 * Reads a request body the way Google's proto3 JSON front end does: every field may be spelled
 * lowerCamelCase or snake_case (the Python SDK sends `inline_data`, `mime_type`,
 * `thinking_budget`), a name the message does not have is refused ("Invalid JSON payload
 * received. Unknown name \"x\" at 'generation_config': Cannot find field."), and a value of the
 * wrong kind is refused with its proto type. Paths in messages use the proto (snake_case) names,
 * repeated fields `[i]` and map entries `[i].value`, as in captured bodies. The result uses
 * camelCase names only.
 */

type Scalar = 'string' | 'bytes' | 'int32' | 'int64' | 'float' | 'bool' | 'any';
interface EnumType {
  readonly enumName: string;
  readonly values: readonly string[];
}
type FieldType = Scalar | EnumType | MessageSpec;
interface FieldSpec {
  readonly type: FieldType;
  readonly repeated?: boolean;
  readonly map?: boolean;
}
export interface MessageSpec {
  readonly messageName: string;
  readonly fields: Readonly<Record<string, FieldSpec>>;
}

export interface Violation {
  readonly field: string;
  readonly description: string;
}

const PACKAGE = 'type.googleapis.com/google.ai.generativelanguage.v1beta';

function message(messageName: string, fields: Record<string, FieldType | FieldSpec>): MessageSpec {
  const specs: Record<string, FieldSpec> = {};
  for (const [name, spec] of Object.entries(fields)) specs[name] = typeof spec === 'object' && 'type' in spec ? spec : { type: spec as FieldType };
  return { messageName, fields: specs };
}

const many = (type: FieldType): FieldSpec => ({ type, repeated: true });

const TYPE: EnumType = { enumName: 'Type', values: ['TYPE_UNSPECIFIED', 'STRING', 'NUMBER', 'INTEGER', 'BOOLEAN', 'ARRAY', 'OBJECT', 'NULL'] };
const THINKING_LEVEL: EnumType = { enumName: 'ThinkingLevel', values: ['THINKING_LEVEL_UNSPECIFIED', 'MINIMAL', 'LOW', 'MEDIUM', 'HIGH'] };

/** The Schema message (an OpenAPI 3.0 subset): no additionalProperties, $ref, oneOf, allOf, const. */
const SCHEMA: MessageSpec = { messageName: 'Schema', fields: {} };
Object.assign(SCHEMA.fields, {
  type: { type: TYPE },
  format: { type: 'string' },
  title: { type: 'string' },
  description: { type: 'string' },
  nullable: { type: 'bool' },
  enum: many('string'),
  maxItems: { type: 'int64' },
  minItems: { type: 'int64' },
  properties: { type: SCHEMA, map: true },
  required: many('string'),
  minProperties: { type: 'int64' },
  maxProperties: { type: 'int64' },
  minLength: { type: 'int64' },
  maxLength: { type: 'int64' },
  pattern: { type: 'string' },
  example: { type: 'any' },
  anyOf: many(SCHEMA),
  propertyOrdering: many('string'),
  default: { type: 'any' },
  items: { type: SCHEMA },
  minimum: { type: 'float' },
  maximum: { type: 'float' },
});

const BLOB = message('Blob', { mimeType: 'string', data: 'bytes' });
const FILE_DATA = message('FileData', { mimeType: 'string', fileUri: 'string' });
const PART = message('Part', {
  text: 'string',
  inlineData: BLOB,
  fileData: FILE_DATA,
  functionCall: 'any',
  functionResponse: 'any',
  executableCode: 'any',
  codeExecutionResult: 'any',
  videoMetadata: 'any',
  thought: 'bool',
  thoughtSignature: 'bytes',
  mediaResolution: 'any',
  partMetadata: 'any',
});
const CONTENT = message('Content', { parts: many(PART), role: 'string' });
const THINKING_CONFIG = message('ThinkingConfig', { includeThoughts: 'bool', thinkingBudget: 'int32', thinkingLevel: THINKING_LEVEL });
const GENERATION_CONFIG = message('GenerationConfig', {
  candidateCount: 'int32',
  stopSequences: many('string'),
  maxOutputTokens: 'int32',
  temperature: 'float',
  topP: 'float',
  topK: 'int32',
  seed: 'int32',
  responseMimeType: 'string',
  responseSchema: SCHEMA,
  responseJsonSchema: 'any',
  presencePenalty: 'float',
  frequencyPenalty: 'float',
  responseLogprobs: 'bool',
  logprobs: 'int32',
  enableEnhancedCivicAnswers: 'bool',
  responseModalities: many('string'),
  speechConfig: 'any',
  thinkingConfig: THINKING_CONFIG,
  imageConfig: 'any',
  mediaResolution: 'string',
});
const SAFETY_SETTING = message('SafetySetting', { category: 'string', threshold: 'string' });

export const GENERATE_CONTENT_REQUEST = message('GenerateContentRequest', {
  model: 'string',
  contents: many(CONTENT),
  systemInstruction: CONTENT,
  tools: many('any'),
  toolConfig: 'any',
  safetySettings: many(SAFETY_SETTING),
  generationConfig: GENERATION_CONFIG,
  cachedContent: 'string',
  serviceTier: 'string',
  store: 'bool',
});

export const COUNT_TOKENS_REQUEST = message('CountTokensRequest', { contents: many(CONTENT), generateContentRequest: GENERATE_CONTENT_REQUEST });

const snake = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());

/** Reads `value` as a `spec` message: the camelCase copy, and every violation found. */
export function readProtoJson(spec: MessageSpec, value: unknown): { value: Record<string, unknown>; violations: Violation[] } {
  const violations: Violation[] = [];
  const read = readMessage(spec, value, '', violations);
  return { value: (read ?? {}) as Record<string, unknown>, violations };
}

function readMessage(spec: MessageSpec, value: unknown, path: string, violations: Violation[]): Record<string, unknown> | undefined {
  if (value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    violations.push(invalidValue(path, `${PACKAGE}.${spec.messageName}`, value));
    return undefined;
  }
  const result: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const name = camel(key);
    const field = spec.fields[name];
    if (!field) {
      violations.push(unknownName(key, path, 'Cannot find field.'));
      continue;
    }
    const childPath = path ? `${path}.${snake(name)}` : snake(name);
    result[name] = readField(field, child, childPath, key, path, violations);
  }
  return result;
}

function readField(field: FieldSpec, value: unknown, path: string, key: string, parentPath: string, violations: Violation[]): unknown {
  if (value === null) return undefined;
  if (field.map) {
    if (typeof value !== 'object' || Array.isArray(value)) {
      violations.push(invalidValue(path, typeName(field.type), value));
      return undefined;
    }
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([entryKey, entry], index) => [
        entryKey,
        readSingle(field.type, entry, `${path}[${index}].value`, violations),
      ]),
    );
  }
  if (field.repeated) {
    if (!Array.isArray(value)) {
      violations.push(invalidValue(path, typeName(field.type), value));
      return undefined;
    }
    return value.map((item, index) => readSingle(field.type, item, `${path}[${index}]`, violations));
  }
  if (Array.isArray(value) && field.type !== 'any') {
    violations.push(unknownName(key, parentPath, 'Proto field is not repeating, cannot start list.'));
    return undefined;
  }
  return readSingle(field.type, value, path, violations);
}

function readSingle(type: FieldType, value: unknown, path: string, violations: Violation[]): unknown {
  if (typeof type === 'object' && 'fields' in type) return readMessage(type, value, path, violations);
  if (typeof type === 'object') {
    if (typeof value === 'string' && type.values.includes(value)) return value;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < type.values.length) return type.values[value];
    violations.push(invalidValue(path, `${PACKAGE}.${type.enumName}`, value));
    return undefined;
  }
  const ok = scalarValue(type, value);
  if (ok === INVALID) {
    violations.push(invalidValue(path, `TYPE_${type.toUpperCase()}`, value));
    return undefined;
  }
  return ok;
}

const INVALID = Symbol('invalid');

/** proto3 JSON scalars: integers as numbers or decimal strings, floats likewise, bytes as base64. */
function scalarValue(type: Scalar, value: unknown): unknown {
  switch (type) {
    case 'any':
      return value;
    case 'string':
      return typeof value === 'string' ? value : INVALID;
    case 'bytes':
      return typeof value === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(value) ? value : INVALID;
    case 'bool':
      return typeof value === 'boolean' ? value : INVALID;
    case 'int32':
    case 'int64': {
      const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
      return typeof number === 'number' && Number.isInteger(number) && (type === 'int64' || Math.abs(number) <= 2 ** 31) ? number : INVALID;
    }
    case 'float': {
      const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      return typeof number === 'number' && !Number.isNaN(number) ? number : INVALID;
    }
  }
}

function typeName(type: FieldType): string {
  if (typeof type === 'string') return `TYPE_${type.toUpperCase()}`;
  return `${PACKAGE}.${'fields' in type ? type.messageName : type.enumName}`;
}

function unknownName(key: string, path: string, reason: string): Violation {
  const description = `Invalid JSON payload received. Unknown name "${key}"${path ? ` at '${path}'` : ''}: ${reason}`;
  return { field: path, description };
}

function invalidValue(path: string, type: string, value: unknown): Violation {
  return { field: path, description: `Invalid value at '${path}' (${type}), ${JSON.stringify(value)}` };
}
