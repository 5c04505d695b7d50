import type { EmulatedModel, ThinkingRule } from './catalogue.ts';
import type { GenerateRequest } from './read-request.ts';

/**
 * What the service refuses in a well-formed body, each with the message Google sends (captured in
 * public bug reports; see the conformance test for the sources). Returns the 400 message, or
 * undefined when the request may go on.
 */
export function refusalOf(body: GenerateRequest, model: EmulatedModel): string | undefined {
  if (!body.contents || body.contents.length === 0) return '* GenerateContentRequest.contents: contents is not specified\n';
  const config = body.generationConfig ?? {};
  const maxOutput = config.maxOutputTokens;
  if (maxOutput !== undefined && (maxOutput < 1 || maxOutput > model.outputTokenLimit)) {
    return `Unable to submit request because it has a maxOutputTokens value of ${maxOutput} but the supported range is from 1 (inclusive) to ${model.outputTokenLimit + 1} (exclusive). Update the value and try again.`;
  }
  const thinking = config.thinkingConfig;
  if (thinking) {
    const refusal = thinkingRefusal(thinking, model.thinking);
    if (refusal) return refusal;
  }
  if (config.responseSchema !== undefined && config.responseJsonSchema !== undefined) {
    return '* GenerateContentRequest.generation_config.response_json_schema: only one of response_schema and response_json_schema may be set\n';
  }
  if (
    (config.responseSchema !== undefined || config.responseJsonSchema !== undefined) &&
    !['application/json', 'text/x.enum'].includes(config.responseMimeType ?? '')
  ) {
    return `* GenerateContentRequest.generation_config.response_mime_type: must be application/json or text/x.enum when a response schema is set, got "${config.responseMimeType ?? ''}"\n`;
  }
  const schemaProblem =
    config.responseSchema === undefined
      ? undefined
      : schemaRefusal(config.responseSchema as Schema, 'GenerateContentRequest.generation_config.response_schema');
  return schemaProblem;
}

function thinkingRefusal(
  thinking: NonNullable<NonNullable<GenerateRequest['generationConfig']>['thinkingConfig']>,
  rule: ThinkingRule | undefined,
): string | undefined {
  const { thinkingBudget: budget, thinkingLevel: level } = thinking;
  if (budget !== undefined && level !== undefined) return 'You can only set one of thinking budget and thinking level.';
  if (level !== undefined && level !== 'THINKING_LEVEL_UNSPECIFIED') {
    if (!rule?.levels) return 'Thinking level is not supported for this model.';
    if (!rule.levels.includes(level)) return `Thinking level ${level} is not supported for this model.`;
  }
  if (budget === undefined || budget === -1) return undefined;
  if (!rule) return budget === 0 ? undefined : 'Thinking is not supported for this model.';
  if (budget === 0) return rule.canDisable ? undefined : 'Budget 0 is invalid. This model only works in thinking mode.';
  if (budget < rule.minBudget || budget > rule.maxBudget) return `The thinking budget (${budget}) is invalid.`;
  return undefined;
}

interface Schema {
  readonly type?: string;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly items?: Schema;
  readonly anyOf?: readonly Schema[];
  readonly required?: readonly string[];
}

/** An OBJECT needs properties, an ARRAY its items, and `required` may name only its own properties. */
function schemaRefusal(schema: Schema, path: string): string | undefined {
  if (schema.type === 'OBJECT') {
    const properties = schema.properties ?? {};
    if (Object.keys(properties).length === 0) return `* ${path}.properties: should be non-empty for OBJECT type\n`;
    const unknown = (schema.required ?? []).find((name) => !(name in properties));
    if (unknown) return `* ${path}.required[${(schema.required ?? []).indexOf(unknown)}]: property is not defined\n`;
    for (const [name, child] of Object.entries(properties)) {
      const problem = schemaRefusal(child, `${path}.properties[${name}]`);
      if (problem) return problem;
    }
  }
  if (schema.type === 'ARRAY') {
    if (!schema.items) return `* ${path}.items: missing field.\n`;
    return schemaRefusal(schema.items, `${path}.items`);
  }
  for (const [index, option] of (schema.anyOf ?? []).entries()) {
    const problem = schemaRefusal(option, `${path}.any_of[${index}]`);
    if (problem) return problem;
  }
  return undefined;
}
