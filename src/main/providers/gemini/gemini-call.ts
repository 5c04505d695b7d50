import { sleep } from '../../abortable.ts';
import { type GenerateContentResponse, type GoogleGenAI, MediaResolution as WireResolution, type ThinkingConfig } from '@google/genai';
import type { z } from 'zod';
import { AdmissionStopped, RunAborted } from '../../errors.ts';
import type { ModelStep, Step, StepResult, TokenUsage } from '../../state/record.ts';
import { type StepOutcome, stepFailure } from '../provider.ts';
import { type ApiFailure, classifyApiFailure } from './api-failure.ts';
import type { ModelLimiter, SentRequest } from './model-limiter.ts';
import { ModelHeld } from './outage-guard.ts';
import type { RefusalJudge } from './refusal-judge.ts';
import type { Pricing, ServiceTier } from '../../models/pricing.ts';
import type { MediaResolution } from '../../models/catalogue.ts';
import type { ThinkingSetting } from '../../models/request-budget.ts';

/** A 429 asking to wait longer than this is a quota for the day, not for the minute. */
const LONG_QUOTA_DELAY_MS = 10 * 60_000;

export interface CallPolicy {
  /** Attempts for 5xx, timeouts and resets (the SDK's own retry stays off). */
  readonly maxAttempts: number;
  /** Attempts for 429s; pacing should make these rare. */
  readonly maxRateLimitedAttempts: number;
  /** Attempts for requests the server shed for want of capacity (Flex is best-effort): not failures, waited out. */
  readonly maxShedAttempts: number;
  /** Sent as the request's `serviceTier` unless standard (then the field is left out, as before). */
  readonly serviceTier: ServiceTier;
  readonly retryBaseMs: number;
  readonly retryCapMs: number;
  readonly requestTimeoutMs: number;
  /** Aborts in-flight requests when the run must stop now. */
  readonly stopSignal: AbortSignal;
  /**
   * Wait out a model-wide outage (hold, probe, resume) rather than spend the file's attempts.
   * Off when a fallback answers failed files: then the outage is what the fallback is for.
   */
  readonly rideOutOutages: boolean;
}

/** The billing account every model's requests are charged to: a spend cap stops all of them at once. */
export interface BillingAccount {
  close(reason: AdmissionStopped): void;
}

export interface GeminiCall {
  readonly ai: GoogleGenAI;
  readonly limiter: ModelLimiter;
  readonly account: BillingAccount;
  readonly pricing: Pricing;
  /** Decides whether a 400 is about this file or about the whole run. */
  readonly refusals: RefusalJudge;
  readonly model: string;
  readonly estimatedTokens: number;
  readonly contents: unknown[];
  readonly systemInstruction: string;
  readonly responseSchema: unknown;
  readonly maxOutputTokens: number;
  /** A budget or a level; undefined leaves the model's own default (a model docpool has no thinking facts for). */
  readonly thinking: ThinkingSetting | undefined;
  /** How finely Gemini 3 reads the pages; undefined for a text request or a model that reads them one way. */
  readonly mediaResolution?: MediaResolution;
  readonly validate: z.ZodType;
  /** Turns the validated answer into the step result's label/confidence/fields. */
  readonly toResult: (answer: unknown) => Pick<StepResult, 'label' | 'confidence' | 'fields'>;
  readonly step: ModelStep;
  /** Counts retries for the dashboard. */
  readonly onRetry?: (failure: ApiFailure | { kind: 'invalid_output' }) => void;
  /** Each answer's cost as it arrives (the report's spend by model and step). */
  readonly onAnswer?: (step: Step, model: string, usage: TokenUsage) => void;
}

/**
 * One step for one file through Gemini, with DESIGN §4's policy: limiter-paced attempts,
 * 429 → pause the model for RetryInfo's delay and halve its concurrency, 5xx/timeouts/resets →
 * full-jitter exponential backoff, 400/403/404 never retried, an invalid or truncated answer
 * retried once with twice the output budget, then MODEL_OUTPUT_INVALID.
 */
export async function callGemini(call: GeminiCall, policy: CallPolicy): Promise<StepOutcome> {
  const usage = { input: 0, output: 0, thinking: 0 };
  let maxOutputTokens = call.maxOutputTokens;
  let outputRetried = false;
  let attempts = 0;
  let rateLimitedAttempts = 0;
  let shedAttempts = 0;
  const spent = () => ({ ...usage, costUsd: call.pricing.cost(call.model, usage.input, usage.output + usage.thinking) });
  const interrupted = (): StepOutcome => stepFailure('INTERRUPTED', 'stopped before an answer came', spent());
  // A request larger than the whole per-minute token limit can never be admitted (Google refuses
  // it for ever; the limiter would wait for ever): say so at once instead.
  const tpm = call.limiter.tokensPerWindow;
  if (tpm !== undefined && call.estimatedTokens > tpm) {
    const message = `this request needs ~${Math.ceil(call.estimatedTokens)} input tokens, more than the ${tpm} a minute ${call.model} is limited to (--tpm, or the limit Google stated): it can never be sent; raise the limit, or send fewer --pages or a lower --media-resolution`;
    return stepFailure('API_QUOTA_TOO_SMALL', message, spent());
  }

  for (;;) {
    let response: GenerateContentResponse;
    let probe = false;
    let sentAt = 0;
    try {
      // While the model is held (an outage), wait here for a turn to probe; this spends no attempt.
      if (policy.rideOutOutages) ({ probe } = await call.limiter.outage.enter(policy.stopSignal));
    } catch (error) {
      if (error instanceof AdmissionStopped) throw error;
      return interrupted();
    }
    try {
      response = await call.limiter.schedule(
        call.estimatedTokens,
        (sent) => {
          sentAt = sent.at;
          return sendRequest(call, policy, maxOutputTokens, sent);
        },
        { probe, holdable: policy.rideOutOutages, stop: policy.stopSignal },
      );
    } catch (error) {
      if (error instanceof ModelHeld) continue; // never sent: back to the outage gate
      // Never sent either: the model's (or the account's) requests were stopped for good meanwhile.
      if (error instanceof AdmissionStopped) throw error;
      if (policy.stopSignal.aborted) return interrupted();
      const failure = classifyApiFailure(error);
      if (failure.kind !== 'retryable') call.limiter.outage.answered(probe, sentAt);
      if (failure.kind === 'fatal') throw new RunAborted(failure.code, failure.message);
      if (failure.kind === 'permanent') {
        // Wait for the verdict: the same refusal for several files stops the run, this one pending.
        await call.refusals.judge(call.model, failure.message);
        return stepFailure(failure.code, failure.message, spent());
      }
      if (failure.kind === 'shed') {
        // No capacity for now: no quota was passed, so no pause and no smaller concurrency; this
        // request alone backs off and goes again, and the file is not failed for it.
        call.limiter.onShed();
        if (++shedAttempts >= policy.maxShedAttempts) {
          return stepFailure('API_SHED', `shed for want of capacity ${shedAttempts} times in a row: ${failure.message}`, spent());
        }
        call.onRetry?.(failure);
        await sleep(fullJitter(shedAttempts, policy), policy.stopSignal);
        continue;
      }
      if (failure.kind === 'spend_cap') {
        // Money, not rate: every model of the account is refused alike, and no pause clears it.
        // Nothing more is sent on any model (requests waiting for their turn are turned back
        // unsent); what is in flight finishes, and the files not answered stay pending.
        const stopped = new AdmissionStopped('API_SPEND_CAP', `Google refused the request for spend, not rate (${failure.message}); ${failure.fix}`);
        call.account.close(stopped);
        throw stopped;
      }
      if (failure.kind === 'rate_limited') {
        // A daily quota, or a delay of hours (a tier with no quota for the model), is not worth
        // waiting out in-process: stop admitting, let the rest finish, say how to go on.
        if (failure.perDay || (failure.retryAfterMs ?? 0) > LONG_QUOTA_DELAY_MS) {
          const stopped = new AdmissionStopped('API_DAILY_QUOTA', `the per-day quota of ${call.model} is used up: ${failure.message}`);
          call.limiter.close(stopped);
          throw stopped;
        }
        call.limiter.onRateLimited(failure.retryAfterMs, failure.stated);
        if (++rateLimitedAttempts >= policy.maxRateLimitedAttempts) {
          return stepFailure('API_RATE_LIMITED', `still rate limited after ${rateLimitedAttempts} attempts`, spent());
        }
        call.limiter.retried();
        call.onRetry?.(failure);
        // The limiter's pause honours RetryInfo; without one, back off as for an overload.
        if (failure.retryAfterMs === undefined) await sleep(fullJitter(rateLimitedAttempts, policy), policy.stopSignal);
        continue;
      }
      // The model is down as a whole: the guard paces the retry, and it costs this file no attempt.
      const held = call.limiter.outage.failed(probe, sentAt) && policy.rideOutOutages;
      // Connections refused from the start are a wrong endpoint or no network, not an outage to wait out.
      if (held && failure.code === 'API_NETWORK' && !call.limiter.outage.everAnswered) {
        throw new RunAborted(
          'API_UNREACHABLE',
          `cannot reach the API for ${call.model}: ${failure.message}; check --base-url (or GOOGLE_GEMINI_BASE_URL) and the network`,
        );
      }
      if (!held && ++attempts >= policy.maxAttempts) return stepFailure(failure.code, `${failure.message} (after ${attempts} attempts)`, spent());
      call.limiter.retried();
      call.onRetry?.(failure);
      if (!held) await sleep(fullJitter(attempts, policy), policy.stopSignal);
      continue;
    }

    call.limiter.outage.answered(probe, sentAt);
    call.refusals.answered(call.model);
    call.limiter.onSuccess();
    const judged = judgeAnswer(call, response, usage, outputRetried, maxOutputTokens);
    if (judged.kind === 'outcome') return judged.outcome;
    outputRetried = true;
    maxOutputTokens *= 2;
    call.limiter.retried();
    call.onRetry?.({ kind: 'invalid_output' });
  }
}

/**
 * What an answer means for the step: its usage counted into `usage` (and reported), then a
 * blocked answer, a valid one, or — once — an invalid one to ask again with twice the output
 * budget (`retry`). Shared by the online call and the batch call: an answer is judged the same
 * way however it came.
 */
export function judgeAnswer(
  call: Pick<GeminiCall, 'pricing' | 'model' | 'step' | 'validate' | 'toResult' | 'onAnswer'>,
  response: GenerateContentResponse,
  usage: { input: number; output: number; thinking: number },
  outputRetried: boolean,
  maxOutputTokens: number,
): { kind: 'outcome'; outcome: StepOutcome } | { kind: 'retry' } {
  const spent = () => ({ ...usage, costUsd: call.pricing.cost(call.model, usage.input, usage.output + usage.thinking) });
  const meta = response.usageMetadata;
  const answered = { input: meta?.promptTokenCount ?? 0, output: meta?.candidatesTokenCount ?? 0, thinking: meta?.thoughtsTokenCount ?? 0 };
  usage.input += answered.input;
  usage.output += answered.output;
  usage.thinking += answered.thinking;
  call.onAnswer?.(call.step, call.model, { ...answered, costUsd: call.pricing.cost(call.model, answered.input, answered.output + answered.thinking) });

  const blocked = response.promptFeedback?.blockReason;
  const candidate = response.candidates?.[0];
  if (blocked || (candidate?.finishReason && !['STOP', 'MAX_TOKENS'].includes(candidate.finishReason))) {
    const reason = blocked ?? candidate?.finishReason;
    return {
      kind: 'outcome',
      outcome: stepFailure('MODEL_BLOCKED', `the model declined to answer (${reason})`, spent()),
    };
  }
  const parsed = parseAnswer(response, call.validate);
  if (parsed.ok) {
    return {
      kind: 'outcome',
      outcome: { ok: true, result: { step: call.step, source: 'gemini', model: call.model, ...call.toResult(parsed.value), usage: spent(), at: Date.now() } },
    };
  }
  if (outputRetried) {
    return {
      kind: 'outcome',
      outcome: stepFailure('MODEL_OUTPUT_INVALID', `${parsed.reason}, also with ${maxOutputTokens} output tokens`, spent()),
    };
  }
  return { kind: 'retry' };
}

/** The request's settings, the same online and in a batch job (so the same request, the same answer). */
export function requestConfig(call: Pick<GeminiCall, 'systemInstruction' | 'responseSchema' | 'thinking' | 'mediaResolution'>, maxOutputTokens: number) {
  return {
    systemInstruction: call.systemInstruction,
    responseMimeType: 'application/json',
    responseSchema: call.responseSchema,
    temperature: 0,
    maxOutputTokens,
    ...(call.thinking === undefined ? {} : { thinkingConfig: call.thinking as ThinkingConfig }),
    ...(call.mediaResolution === undefined ? {} : { mediaResolution: WIRE_RESOLUTION[call.mediaResolution] }),
  };
}

const WIRE_RESOLUTION: Readonly<Record<MediaResolution, WireResolution>> = {
  low: WireResolution.MEDIA_RESOLUTION_LOW,
  medium: WireResolution.MEDIA_RESOLUTION_MEDIUM,
  high: WireResolution.MEDIA_RESOLUTION_HIGH,
};

/** One request under its deadline; what it really cost replaces its estimate in the token window at once. */
async function sendRequest(call: GeminiCall, policy: CallPolicy, maxOutputTokens: number, sent: SentRequest): Promise<GenerateContentResponse> {
  const answer = await withDeadline(policy, (abortSignal) =>
    call.ai.models.generateContent({
      model: call.model,
      contents: call.contents as never,
      config: {
        ...requestConfig(call, maxOutputTokens),
        ...(policy.serviceTier === 'standard' ? {} : { serviceTier: policy.serviceTier as never }),
        abortSignal,
      },
    }),
  );
  const promptTokens = answer.usageMetadata?.promptTokenCount;
  if (promptTokens !== undefined) call.limiter.reconcile(sent, promptTokens);
  return answer;
}

/**
 * Runs one request under its deadline and the run's stop signal. The deadline is a plain timer
 * on a controller held for the whole attempt: on Node 20 an AbortSignal.timeout() reachable only
 * through AbortSignal.any() can be garbage-collected before it fires, which left a stalled request
 * waiting forever (seen under load in CI).
 */
async function withDeadline<T>(policy: CallPolicy, request: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('the request timed out', 'TimeoutError')), policy.requestTimeoutMs);
  const onStop = () => controller.abort(policy.stopSignal.reason);
  if (policy.stopSignal.aborted) onStop();
  else policy.stopSignal.addEventListener('abort', onStop, { once: true });
  try {
    return await request(controller.signal);
  } finally {
    clearTimeout(timer);
    policy.stopSignal.removeEventListener('abort', onStop);
  }
}

function parseAnswer(response: GenerateContentResponse, validate: z.ZodType): { ok: true; value: unknown } | { ok: false; reason: string } {
  const candidate = response.candidates?.[0];
  if (candidate?.finishReason === 'MAX_TOKENS') return { ok: false, reason: 'the answer was cut off (MAX_TOKENS)' };
  let value: unknown;
  try {
    value = JSON.parse(answerText(response));
  } catch {
    return { ok: false, reason: 'the answer was not valid JSON' };
  }
  const checked = validate.safeParse(value);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    return { ok: false, reason: `the answer did not match the schema (${issue.path.join('.') || 'answer'}: ${issue.message})` };
  }
  return { ok: true, value: checked.data };
}

/**
 * The answer's text from the candidate's parts, thoughts left out. Read from the parts rather
 * than the SDK's `.text` getter: a batch job's responses arrive as plain objects without it.
 */
function answerText(response: GenerateContentResponse): string {
  const parts = response.candidates?.[0]?.content?.parts ?? [];
  return parts
    .filter((part) => !part.thought && typeof part.text === 'string')
    .map((part) => part.text)
    .join('');
}

/** Full jitter (AWS architecture blog): uniform in [0, min(cap, base × 2^attempt)). */
function fullJitter(attempt: number, policy: CallPolicy): number {
  return Math.random() * Math.min(policy.retryCapMs, policy.retryBaseMs * 2 ** (attempt - 1));
}
