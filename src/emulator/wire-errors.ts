/**
 * The Gemini v1beta error bodies, as the real service sends them (../shared/reference/gemini-wire.md §5).
 * The SDK keeps the whole body inside ApiError.message, so callers parse exactly these shapes.
 */
export interface WireError {
  readonly status: number;
  readonly body: { readonly error: { readonly code: number; readonly message: string; readonly status: string; readonly details?: readonly unknown[] } };
}

function wireError(status: number, grpc: string, message: string, details?: readonly unknown[]): WireError {
  return { status, body: { error: { code: status, message, status: grpc, ...(details ? { details } : {}) } } };
}

export const invalidArgument = (message: string) => wireError(400, 'INVALID_ARGUMENT', message);

/** A payload field proto3 JSON cannot place: every one found, as Google lists them, with BadRequest details. */
export function badPayload(violations: ReadonlyArray<{ readonly field: string; readonly description: string }>): WireError {
  return wireError(400, 'INVALID_ARGUMENT', violations.map((violation) => violation.description).join('\n'), [
    {
      '@type': 'type.googleapis.com/google.rpc.BadRequest',
      fieldViolations: violations.map(({ field, description }) => (field ? { field, description } : { description })),
    },
  ]);
}

/** 400 FAILED_PRECONDITION: the same for every request of the project (location, billing). */
export const failedPrecondition = (message: string) => wireError(400, 'FAILED_PRECONDITION', message);

export const LOCATION_NOT_SUPPORTED = 'User location is not supported for the API use.';
export const BILLING_REQUIRED = 'Gemini API free tier is not available in your country. Please enable billing on your project in Google AI Studio.';

/** 403 for a key whose project may not use the API (the key exists, the permission does not). */
export const projectDenied = () =>
  wireError(403, 'PERMISSION_DENIED', 'Permission denied: Consumer has been suspended or the Generative Language API is not enabled for this project.');

/** The capacity 429 with no details at all: no quota named, no RetryInfo (shared capacity, not your quota). */
export const exhaustedWithoutDetails = () => wireError(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).');

export const apiKeyInvalid = () =>
  wireError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'API_KEY_INVALID',
      domain: 'googleapis.com',
      metadata: { service: 'generativelanguage.googleapis.com' },
    },
    { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message: 'API key not valid. Please pass a valid API key.' },
  ]);

export const permissionDenied = () =>
  wireError(
    403,
    'PERMISSION_DENIED',
    "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
  );

export const modelNotFound = (model: string, method: string) =>
  wireError(
    404,
    'NOT_FOUND',
    `models/${model} is not found for API version v1beta, or is not supported for ${method}. Call ListModels to see the list of available models and their supported methods.`,
  );

export const notFound = (path: string) => wireError(404, 'NOT_FOUND', `Method not found: ${path}`);

export const internal = () =>
  wireError(500, 'INTERNAL', 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting');

export const overloaded = () => wireError(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.');

/**
 * The capacity 429: no quota was passed, the server has no room (as gemini-cli users have seen it,
 * google-gemini/gemini-cli#26633). What a shed Flex request gets; no RetryInfo, so no quota pause.
 */
export const noCapacity = () =>
  wireError(429, 'RESOURCE_EXHAUSTED', 'No capacity available for model on the server', [
    { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'MODEL_CAPACITY_EXHAUSTED', domain: 'googleapis.com' },
  ]);

/**
 * The 429 of a spend cap, not a rate: the billing account's monthly cap (the message captured in
 * production logs, 2026-05), a project spend cap (GA 2026-06-26) and an empty prepaid balance
 * (worded on the captured one: Google's own texts for these two were not found).
 */
export function spendCapExceeded(kind: 'billing-account' | 'project' | 'prepay'): WireError {
  const what =
    kind === 'billing-account'
      ? 'Your billing account has exceeded its monthly spending cap. Please go to AI Studio at https://aistudio.google.com to manage your billing.'
      : kind === 'project'
        ? 'Your project has exceeded its monthly spending cap. Please go to AI Studio at https://aistudio.google.com to manage your project spend cap.'
        : 'Your prepayment credits are depleted. Please go to AI Studio at https://aistudio.google.com to add funds.';
  return wireError(429, 'RESOURCE_EXHAUSTED', `${what} Learn more at https://ai.google.dev/gemini-api/docs/billing.`, [
    {
      '@type': 'type.googleapis.com/google.rpc.Help',
      links: [{ description: 'Learn more about Gemini API billing', url: 'https://ai.google.dev/gemini-api/docs/billing' }],
    },
  ]);
}

export const deadlineExceeded = () => wireError(504, 'DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.');

export type QuotaMetric = 'rpm' | 'tpm' | 'rpd';

const QUOTA_NAMES: Record<QuotaMetric, { metric: string; id: string }> = {
  rpm: { metric: 'generate_content_paid_tier_requests', id: 'GenerateRequestsPerMinutePerProjectPerModel' },
  tpm: { metric: 'generate_content_paid_tier_input_token_count', id: 'GenerateContentPaidTierInputTokensPerModelPerMinute' },
  rpd: { metric: 'generate_content_paid_tier_requests', id: 'GenerateRequestsPerDayPerProjectPerModel' },
};

/** The real quota 429: QuotaFailure + Help + RetryInfo with a fractional-seconds delay. */
export function quotaExceeded(model: string, metric: QuotaMetric, limit: number, retryAfterMs: number): WireError {
  const seconds = (Math.max(retryAfterMs, 1) / 1000).toFixed(9).replace(/0+$/, '').replace(/\.$/, '');
  const names = QUOTA_NAMES[metric];
  const message =
    'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. ' +
    `To monitor your current usage, head to: https://ai.dev/usage?tab=rate-limit. \n* Quota exceeded for metric: generativelanguage.googleapis.com/${names.metric}, limit: ${limit}, model: ${model}\nPlease retry in ${seconds}s.`;
  return wireError(429, 'RESOURCE_EXHAUSTED', message, [
    {
      '@type': 'type.googleapis.com/google.rpc.Help',
      links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }],
    },
    {
      '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
      violations: [
        {
          quotaMetric: `generativelanguage.googleapis.com/${names.metric}`,
          quotaId: names.id,
          quotaDimensions: { location: 'global', model },
          quotaValue: String(limit),
        },
      ],
    },
    { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${seconds}s` },
  ]);
}
