import { randomBytes } from 'node:crypto';
import type { EmulatedModel, ThinkingRule } from './catalogue.ts';
import type { FaultKind } from './config.ts';
import { fillSchema } from './fill-schema.ts';
import { type MisreadConfig, type MisreadKind, misreadOf } from './misread.ts';
import { COUNT_TOKENS_REQUEST, GENERATE_CONTENT_REQUEST, readProtoJson } from './proto-json.ts';
import { EngineRestarting, type GenerateRequest, readRequest, type RequestReading, UnreadablePdfError } from './read-request.ts';
import { refusalOf } from './request-rules.ts';
import { countTextTokens } from './tokenizer.ts';
import * as wire from './wire-errors.ts';

/** What the server should do with a request: answer (after a delay), hang, or cut the connection. */
export type Outcome =
  | { readonly kind: 'respond'; readonly status: number; readonly body: unknown; readonly delayMs: number }
  | { readonly kind: 'stall' }
  | { readonly kind: 'reset'; readonly delayMs: number };

export function respond(error: wire.WireError, delayMs = 0): Outcome {
  return { kind: 'respond', status: error.status, body: error.body, delayMs };
}

/**
 * Parses a generateContent/countTokens body like the real service: JSON, then proto3 JSON
 * (either spelling; unknown names and wrong kinds refused with Google's BadRequest body).
 */
export function parseBody(raw: string, method: string): { ok: true; body: GenerateRequest } | { ok: false; outcome: Outcome } {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return { ok: false, outcome: respond(wire.invalidArgument(`Invalid JSON payload received. ${(error as Error).message}`)) };
  }
  const read = readProtoJson(method === 'countTokens' ? COUNT_TOKENS_REQUEST : GENERATE_CONTENT_REQUEST, json);
  if (read.violations.length > 0) return { ok: false, outcome: respond(wire.badPayload(read.violations)) };
  // countTokens may wrap a whole generateContent request; its contents are what is counted.
  const body =
    method === 'countTokens' && read.value.generateContentRequest ? (read.value.generateContentRequest as GenerateRequest) : (read.value as GenerateRequest);
  return { ok: true, body };
}

/** Applies the model's rules, then reads the content; any refusal is the 400 the service gives. */
export function readOrReject(
  body: GenerateRequest,
  model: EmulatedModel,
  method: string,
): { ok: true; reading: RequestReading } | { ok: false; outcome: Outcome } {
  const refusal =
    method === 'countTokens' ? (body.contents?.length ? undefined : '* CountTokensRequest.contents: contents is not specified\n') : refusalOf(body, model);
  if (refusal) return { ok: false, outcome: respond(wire.invalidArgument(refusal)) };
  try {
    const reading = readRequest(body, model);
    if (reading.promptTokens > model.inputTokenLimit) {
      return {
        ok: false,
        outcome: respond(
          wire.invalidArgument(`The input token count (${reading.promptTokens}) exceeds the maximum number of tokens allowed (${model.inputTokenLimit}).`),
        ),
      };
    }
    return { ok: true, reading };
  } catch (error) {
    if (error instanceof UnreadablePdfError) return { ok: false, outcome: respond(wire.invalidArgument(error.message)) };
    if (error instanceof EngineRestarting) return { ok: false, outcome: respond(wire.internal()) };
    throw error;
  }
}

export function countTokensBody(reading: RequestReading): unknown {
  return { totalTokens: reading.promptTokens, promptTokensDetails: modalityDetails(reading) };
}

export interface Answer {
  readonly body: unknown;
  readonly outputTokens: number;
  readonly thinkingTokens: number;
  /** The misread the answer carries (a field it asked for came back wrong). */
  readonly misread?: MisreadKind;
}

/** Candidate-level endings a fault can ask for: the request was fine, the answer was withheld. */
const CANDIDATE_ENDINGS: Partial<Record<FaultKind, string>> = { finish_safety: 'SAFETY', recitation: 'RECITATION', finish_other: 'OTHER' };
/** Prompt-level blocks: a 200 with no candidate at all, only promptFeedback. */
const PROMPT_BLOCKS: Partial<Record<FaultKind, string>> = { safety: 'SAFETY', blocked_other: 'OTHER' };

/**
 * The successful (or fault-shaped 200) answer to generateContent. Thinking tokens count against
 * maxOutputTokens as on the real service, so a budget too small for thought plus answer gives a
 * truncated MAX_TOKENS answer there too. With no maxOutputTokens the model's own limit applies.
 */
export function answer(
  modelName: string,
  model: EmulatedModel,
  body: GenerateRequest,
  reading: RequestReading,
  fault: FaultKind | undefined,
  misreads?: { readonly config: MisreadConfig | undefined; readonly seed: number },
): Answer {
  const config = body.generationConfig ?? {};
  const schema = config.responseSchema ?? config.responseJsonSchema;
  const wantsJson = config.responseMimeType === 'application/json' || schema !== undefined;
  const say = (understanding: RequestReading['understanding']) =>
    wantsJson
      ? JSON.stringify(
          schema ? fillSchema(schema, understanding) : { label: understanding.label, confidence: understanding.confidence, fields: understanding.fields },
        )
      : understanding.label;
  const exact = say(reading.understanding);
  const misreading = misreads && misreadOf(misreads.config, misreads.seed, modelName, reading.digest, reading.understanding);
  const misread = misreading ? say(misreading.understanding) : undefined;
  // A misread counts only when the question asked for the field it strikes.
  const full = misread ?? exact;
  const misreadKind = misread !== undefined && misread !== exact ? misreading!.kind : undefined;
  const thinkingTokens = thinkingFor(model.thinking, config.thinkingConfig, reading.digest);
  const maxOutput = config.maxOutputTokens ?? model.outputTokenLimit;
  const room = Math.max(0, maxOutput - thinkingTokens);

  const blockReason = fault ? PROMPT_BLOCKS[fault] : undefined;
  if (blockReason) return { body: envelope(modelName, reading, undefined, 0, 0, { promptFeedback: { blockReason } }), outputTokens: 0, thinkingTokens: 0 };
  const withheld = fault ? CANDIDATE_ENDINGS[fault] : undefined;
  if (withheld) {
    // The model thought, then its answer was withheld: the thinking is billed, no text comes back.
    const candidate = { content: { role: 'model' }, finishReason: withheld, index: 0 };
    return { body: envelope(modelName, reading, candidate, 0, thinkingTokens), outputTokens: 0, thinkingTokens };
  }
  let text = full;
  let finishReason = 'STOP';
  if (fault === 'max_tokens' || countTextTokens(full) > room) {
    text = cutToTokens(full, Math.min(room, Math.floor(countTextTokens(full) / 2)));
    finishReason = 'MAX_TOKENS';
  } else if (fault === 'malformed') {
    text = `${full.slice(0, Math.floor(full.length * 0.6))}}}`;
  }
  const outputTokens = countTextTokens(text);
  const candidate = { content: { parts: [{ text }], role: 'model' }, finishReason, index: 0 };
  return {
    body: envelope(modelName, reading, candidate, outputTokens, thinkingTokens),
    outputTokens,
    thinkingTokens,
    ...(misreadKind ? { misread: misreadKind } : {}),
  };
}

/** The longest prefix of `text` within `tokens` (at least one character, as a cut-off answer has). */
function cutToTokens(text: string, tokens: number): string {
  let low = 1;
  let high = text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (countTextTokens(text.slice(0, middle)) <= tokens) low = middle;
    else high = middle - 1;
  }
  return text.slice(0, low);
}

function envelope(model: string, reading: RequestReading, candidate: unknown, outputTokens: number, thinkingTokens: number, extra: object = {}): unknown {
  return {
    ...(candidate ? { candidates: [candidate] } : {}),
    ...extra,
    usageMetadata: {
      promptTokenCount: reading.promptTokens,
      ...(candidate ? { candidatesTokenCount: outputTokens } : {}),
      totalTokenCount: reading.promptTokens + outputTokens + thinkingTokens,
      promptTokensDetails: modalityDetails(reading),
      ...(thinkingTokens > 0 ? { thoughtsTokenCount: thinkingTokens } : {}),
    },
    modelVersion: model,
    responseId: randomBytes(16).toString('base64url').slice(0, 22),
  };
}

function modalityDetails(reading: RequestReading): unknown[] {
  return Object.entries(reading.tokensByModality)
    .filter(([, count]) => count > 0)
    .map(([modality, tokenCount]) => ({ modality, tokenCount }));
}

/** Most a thinking level lets the model think (Gemini 3). */
const LEVEL_CAPS: Readonly<Record<string, number>> = { MINIMAL: 128, LOW: 1024, MEDIUM: 4096, HIGH: 8192 };
/** A dynamic budget (-1, or none given) thinks up to this much (thinking page: "Auto (up to 8,192)"). */
const DYNAMIC_CAP = 8192;

/**
 * How much the model thinks: nothing when told 0 (where allowed) or when it does not think by
 * default; otherwise an amount drawn from the content, so the same request always costs the same,
 * capped by the budget or level.
 */
function thinkingFor(rule: ThinkingRule | undefined, thinking: NonNullable<GenerateRequest['generationConfig']>['thinkingConfig'], digest: string): number {
  if (!rule) return 0;
  const budget = thinking?.thinkingBudget;
  const level = thinking?.thinkingLevel;
  if (budget === 0) return 0;
  const explicit = budget !== undefined && budget !== -1;
  // Told nothing, a Gemini 3 model thinks at its default level; a 2.5 model dynamically, unless off by default.
  const effectiveLevel = level ?? (explicit ? undefined : rule.defaultLevel);
  if (!explicit && effectiveLevel === undefined && !rule.onByDefault) return 0;
  const cap = explicit ? budget : effectiveLevel !== undefined ? (LEVEL_CAPS[effectiveLevel] ?? DYNAMIC_CAP) : DYNAMIC_CAP;
  const drawn = 200 + (Number.parseInt(digest.slice(0, 6), 16) % 1200);
  return Math.max(Math.min(drawn, cap), explicit ? Math.min(rule.minBudget, cap) : 0);
}
