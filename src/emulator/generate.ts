import { randomBytes } from 'node:crypto';
import { MODELS } from '../main/models/catalogue.ts';
import type { EmulatorConfig, FaultKind } from './config.ts';
import { fillSchema } from './fill-schema.ts';
import { type GenerateRequest, readRequest, type RequestReading, UnreadablePdfError } from './read-request.ts';
import * as wire from './wire-errors.ts';

/** What the server should do with a request: answer (after a delay), hang, or cut the connection. */
export type Outcome =
  | { readonly kind: 'respond'; readonly status: number; readonly body: unknown; readonly delayMs: number }
  | { readonly kind: 'stall' }
  | { readonly kind: 'reset'; readonly delayMs: number };

const MAX_INPUT_TOKENS = 1_048_576;
const DEFAULT_MAX_OUTPUT = 8192;

export function respond(error: wire.WireError, delayMs = 0): Outcome {
  return { kind: 'respond', status: error.status, body: error.body, delayMs };
}

/** Parses and validates a generateContent/countTokens body like the real service does. */
export function parseBody(raw: string): { ok: true; body: GenerateRequest } | { ok: false; outcome: Outcome } {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (error) {
    return { ok: false, outcome: respond(wire.invalidArgument(`Invalid JSON payload received. ${(error as Error).message}`)) };
  }
  if (typeof body !== 'object' || body === null || !Array.isArray((body as GenerateRequest).contents) || (body as GenerateRequest).contents!.length === 0) {
    return { ok: false, outcome: respond(wire.invalidArgument('* GenerateContentRequest.contents: contents is not specified\n')) };
  }
  return { ok: true, body: body as GenerateRequest };
}

/** Reads the request content, turning an unreadable PDF into the 400 the service gives. */
export function readOrReject(body: GenerateRequest): { ok: true; reading: RequestReading } | { ok: false; outcome: Outcome } {
  try {
    const reading = readRequest(body);
    if (reading.promptTokens > MAX_INPUT_TOKENS) {
      return { ok: false, outcome: respond(wire.invalidArgument(`The input token count exceeds the maximum number of tokens allowed ${MAX_INPUT_TOKENS}.`)) };
    }
    return { ok: true, reading };
  } catch (error) {
    if (error instanceof UnreadablePdfError) return { ok: false, outcome: respond(wire.invalidArgument(error.message)) };
    throw error;
  }
}

export function countTokensBody(reading: RequestReading): unknown {
  return {
    totalTokens: reading.promptTokens,
    promptTokensDetails: modalityDetails(reading),
  };
}

export interface Answer {
  readonly body: unknown;
  readonly outputTokens: number;
  readonly thinkingTokens: number;
}

/**
 * The successful (or fault-shaped 200) answer to generateContent. Thinking tokens count against
 * maxOutputTokens as on the real service, so a budget too small for thought plus answer gives a
 * truncated MAX_TOKENS answer there too.
 */
export function answer(model: string, body: GenerateRequest, reading: RequestReading, fault: FaultKind | undefined): Answer {
  const config = body.generationConfig ?? {};
  const schema = config.responseSchema ?? config.responseJsonSchema;
  const wantsJson = config.responseMimeType === 'application/json' || schema !== undefined;
  const full = wantsJson
    ? JSON.stringify(schema ? fillSchema(schema, reading.understanding) : { label: reading.understanding.label, confidence: reading.understanding.confidence, fields: reading.understanding.fields })
    : reading.understanding.label;
  const thinkingTokens = thinkingFor(model, config.thinkingConfig?.thinkingBudget, reading.digest);
  const maxOutput = config.maxOutputTokens ?? DEFAULT_MAX_OUTPUT;
  const room = Math.max(0, maxOutput - thinkingTokens);
  const fullTokens = Math.ceil(full.length / 4);

  if (fault === 'safety') {
    return { body: envelope(model, reading, undefined, 0, 0, { promptFeedback: { blockReason: 'SAFETY' } }), outputTokens: 0, thinkingTokens: 0 };
  }
  let text = full;
  let finishReason = 'STOP';
  if (fault === 'max_tokens' || fullTokens > room) {
    text = full.slice(0, Math.max(1, Math.min(room * 4, Math.floor(full.length / 2))));
    finishReason = 'MAX_TOKENS';
  } else if (fault === 'malformed') {
    text = `${full.slice(0, Math.floor(full.length * 0.6))}}}`;
  }
  const outputTokens = Math.ceil(text.length / 4);
  const candidate = { content: { parts: [{ text }], role: 'model' }, finishReason, index: 0 };
  return { body: envelope(model, reading, candidate, outputTokens, thinkingTokens), outputTokens, thinkingTokens };
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

/**
 * Thinking models think unless told not to (2.5 Pro cannot be told: its minimum budget is 128).
 * The amount is derived from the content, so the same request always costs the same.
 */
function thinkingFor(model: string, budget: number | undefined, digest: string): number {
  if (!MODELS[model] || model.includes('lite')) return 0;
  const isPro = model.includes('pro');
  if (budget === 0 && !isPro) return 0;
  const drawn = 200 + (Number.parseInt(digest.slice(0, 6), 16) % 1200);
  const cap = budget === undefined || budget < 0 ? (isPro ? 32_768 : 24_576) : Math.max(budget, isPro ? 128 : 0);
  return Math.min(drawn, cap);
}

/** Latency for one request: log-normal around the model's median, plus prefill, times the time scale. */
export function latencyFor(config: EmulatorConfig, model: string, promptTokens: number, uniform: () => number): number {
  const latency = config.latency[model] ?? config.defaultLatency;
  // Box–Muller from two seeded uniforms.
  const normal = Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const base = latency.medianMs * Math.exp(latency.sigma * normal);
  return (base + (promptTokens / 1000) * latency.perKiloTokenMs) * config.timeScale;
}
