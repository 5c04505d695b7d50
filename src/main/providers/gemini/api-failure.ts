import type { StatedQuota } from './model-limiter.ts';

/**
 * Sorts what the @google/genai client throws into what docpool does about it (DESIGN §4).
 * SDK 2.x keeps the server's error body only inside ApiError.message as a JSON string, so the
 * body is parsed from there; `instanceof` is avoided so errors from any copy of the SDK work.
 */
export type ApiFailure =
  /** A quota 429: the limits it states per minute (QuotaFailure.quotaValue) are what the model is paced by from then on. */
  | {
      readonly kind: 'rate_limited';
      readonly retryAfterMs: number | undefined;
      readonly perDay: boolean;
      readonly stated: readonly StatedQuota[];
      readonly message: string;
    }
  /** A 429 for money, not rate: a spend cap or an empty prepaid balance. Waiting a minute does not help; `fix` says what does. */
  | { readonly kind: 'spend_cap'; readonly fix: string; readonly message: string }
  /** A 429 for want of server capacity (ErrorInfo MODEL_CAPACITY_EXHAUSTED), not quota: how a best-effort Flex request is shed. */
  | { readonly kind: 'shed'; readonly message: string }
  | { readonly kind: 'retryable'; readonly code: 'API_UNAVAILABLE' | 'API_INTERNAL' | 'API_TIMEOUT' | 'API_NETWORK'; readonly message: string }
  | { readonly kind: 'fatal'; readonly code: 'API_AUTH' | 'API_MODEL_NOT_FOUND' | 'API_PROJECT_REFUSED'; readonly message: string }
  | { readonly kind: 'permanent'; readonly code: 'API_BAD_REQUEST' | 'API_ERROR'; readonly message: string };

interface ErrorBody {
  readonly error?: { readonly code?: number; readonly message?: string; readonly status?: string; readonly details?: ReadonlyArray<Record<string, unknown>> };
}

export function classifyApiFailure(error: unknown): ApiFailure {
  const name = (error as { name?: string } | null)?.name;
  const status = (error as { status?: number } | null)?.status;
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'AbortError' || name === 'TimeoutError') return { kind: 'retryable', code: 'API_TIMEOUT', message: 'the request timed out' };
  if (name === 'ApiError' && typeof status === 'number') return fromStatus(status, parseBody(message));
  if (error instanceof TypeError) return { kind: 'retryable', code: 'API_NETWORK', message: `connection failed (${causeOf(error)})` };
  return { kind: 'permanent', code: 'API_ERROR', message };
}

function fromStatus(status: number, body: ErrorBody): ApiFailure {
  const serverMessage = body.error?.message ?? `HTTP ${status}`;
  const details = body.error?.details ?? [];
  if (status === 429 && details.some((detail) => detail.reason === 'MODEL_CAPACITY_EXHAUSTED')) {
    return { kind: 'shed', message: firstLine(serverMessage) };
  }
  if (status === 429) {
    const retryAfterMs = parseDuration(details.find((detail) => String(detail['@type']).endsWith('google.rpc.RetryInfo'))?.retryDelay);
    const spend = spendCapFix(serverMessage, retryAfterMs);
    if (spend) return { kind: 'spend_cap', fix: spend, message: firstLine(serverMessage) };
    const violations = details
      .filter((detail) => String(detail['@type']).endsWith('google.rpc.QuotaFailure'))
      .flatMap((detail) => (detail.violations as QuotaViolation[] | undefined) ?? []);
    return {
      kind: 'rate_limited',
      retryAfterMs,
      perDay: violations.some((violation) => /PerDay/i.test(violation.quotaId ?? '')),
      stated: violations.flatMap(statedQuota),
      message: firstLine(serverMessage),
    };
  }
  const reasons = details.map((detail) => detail.reason);
  if ((status === 400 && reasons.includes('API_KEY_INVALID')) || status === 401 || status === 403) {
    const fix = 'set GEMINI_API_KEY (or GOOGLE_API_KEY) to a valid key from https://aistudio.google.com/apikey';
    return { kind: 'fatal', code: 'API_AUTH', message: `the API key was refused (${firstLine(serverMessage)}); ${fix}` };
  }
  // FAILED_PRECONDITION is about the project (its location, its billing), the same for every request.
  if (status === 400 && body.error?.status === 'FAILED_PRECONDITION') {
    const fix = /billing/i.test(serverMessage)
      ? 'enable billing on the project in Google AI Studio'
      : /location|region|country/i.test(serverMessage)
        ? 'the Gemini API does not serve this region: run from a supported one (ai.google.dev/gemini-api/docs/available-regions)'
        : 'fix the project setting it names';
    return { kind: 'fatal', code: 'API_PROJECT_REFUSED', message: `Google refused the project: ${firstLine(serverMessage)}; ${fix}` };
  }
  if (status === 404) {
    return {
      kind: 'fatal',
      code: 'API_MODEL_NOT_FOUND',
      message: `${firstLine(serverMessage)}; choose a served model with --classify-model / --extract-model`,
    };
  }
  if (status === 500) return { kind: 'retryable', code: 'API_INTERNAL', message: firstLine(serverMessage) };
  if (status === 408 || status === 502 || status === 503 || status === 504)
    return { kind: 'retryable', code: 'API_UNAVAILABLE', message: firstLine(serverMessage) };
  return { kind: 'permanent', code: 'API_BAD_REQUEST', message: firstLine(serverMessage) };
}

interface QuotaViolation {
  readonly quotaMetric?: string;
  readonly quotaId?: string;
  readonly quotaValue?: string;
}

/**
 * A per-minute limit a violation states: `quotaId` names the window (…PerMinute…) and what is
 * counted (requests, or input tokens as in GenerateContentInputTokensPerModelPerMinute), and
 * `quotaValue` the limit, a decimal string (rate-limits page; captured bodies in gemini-wire.md §5).
 * Per-day limits stop admission instead; a value of 0 (no quota on this tier) is not a pace.
 */
function statedQuota(violation: QuotaViolation): StatedQuota[] {
  const id = violation.quotaId ?? '';
  const value = Number(violation.quotaValue);
  if (!/PerMinute/i.test(id) || !Number.isInteger(value) || value <= 0) return [];
  const tokens = /Token/i.test(id) || /token_count/i.test(violation.quotaMetric ?? '');
  return [{ metric: tokens ? 'tpm' : 'rpm', value }];
}

/**
 * What to do about a 429 that is about money. Since 2026 every billing account has a tier's
 * monthly cap and may set a project spend cap ("Your billing account has exceeded its monthly
 * spending cap. Please go to AI Studio …", captured 2026-05); spend-based rate limits count spend
 * over a rolling 10-minute window (rate-limits page, 2026-06); a prepay account with no balance
 * is refused until topped up (Google staff on the developer forum, 2026). Undefined for any other 429.
 */
function spendCapFix(message: string, retryAfterMs: number | undefined): string | undefined {
  if (/prepa(y|id|yment)|credit balance|credits? (are|is|have been) (depleted|exhausted)/i.test(message)) {
    return 'top up the prepaid balance in Google AI Studio (Billing), then run the same command again';
  }
  if (/spend(ing)?[- ]based|rolling/i.test(message) && /spend/i.test(message)) {
    const when = retryAfterMs === undefined ? 'in about 10 minutes' : `after ${new Date(Date.now() + retryAfterMs).toISOString().slice(11, 16)} UTC`;
    return `spend is counted over a rolling 10-minute window: run the same command again ${when}, or move up a usage tier in Google AI Studio`;
  }
  if (/spend(ing)? (cap|limit)/i.test(message)) {
    return 'raise the spend cap in Google AI Studio (Billing > Spend caps), or run the same command again after the cap resets on the 1st of next month';
  }
  return undefined;
}

function parseBody(message: string): ErrorBody {
  try {
    return JSON.parse(message) as ErrorBody;
  } catch {
    // "got status: UNAVAILABLE. {json}" (stream errors) — take the JSON part if there is one.
    const start = message.indexOf('{');
    if (start >= 0) {
      try {
        return JSON.parse(message.slice(start)) as ErrorBody;
      } catch {
        // fall through
      }
    }
    return { error: { message } };
  }
}

/** "11.769242877s" → 11769.24 ms. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return match ? Number(match[1]) * 1000 : undefined;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

function causeOf(error: TypeError): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? error.message;
}
