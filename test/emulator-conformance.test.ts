import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ApiError } from '@google/genai';
import { generateCorpus, type ManifestEntry, parseManifest } from '../src/corpus/generate.ts';
import { startEmulator } from '../src/emulator/server.ts';
import { prepareFile } from '../src/workers/prepare.ts';
import { CLASSIFY_SCHEMA, client, errorBody } from './helpers/genai.ts';
import { tempDir } from './helpers/temp.ts';

/**
 * The emulator held to Google's behaviour, through the real @google/genai client and through raw
 * HTTP with the snake_case bodies other clients (Google's Python SDK) send. Each expectation cites
 * where Google's behaviour is documented or was captured; none comes from docpool's own code.
 */
const dir = tempDir('conformance');
let invoice: ManifestEntry;
let subset: Uint8Array;
let pages: number;
const fast = { timeScale: 1, defaultLatency: { medianMs: 0, sigma: 0 }, latency: {} };

before(async () => {
  await generateCorpus({ dir, count: 30, seed: 5, maxPages: 4, damagedRate: 0, scannedRate: 0 });
  const manifest = parseManifest(readFileSync(join(dir, 'manifest.jsonl'), 'utf8'));
  invoice = manifest.find((entry) => entry.class === 'vendor_invoice' && entry.pages >= 2)!;
  const prepared = await prepareFile({ path: join(dir, invoice.file), pageWindow: 5, maxFileBytes: 1 << 30, buildSubset: true });
  assert.equal(prepared.kind, 'prepared');
  if (prepared.kind === 'prepared') {
    subset = prepared.subset;
    pages = prepared.windowPages;
  }
});

async function emulator(options: Parameters<typeof startEmulator>[0] = {}) {
  const running = await startEmulator({ ...fast, ...options });
  after(() => running.close());
  return running;
}

async function post(url: string, model: string, body: unknown, method = 'generateContent'): Promise<{ status: number; json: any }> {
  const response = await fetch(`${url}/v1beta/models/${model}:${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

async function sdkError(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof ApiError, `expected an ApiError, got ${String(error)}`);
  return error;
}

test('a snake_case request (as the Python SDK sends it) with an inline PDF gets the right label, ≥ 258 tokens a page, and no thinking at budget 0', async () => {
  const { url } = await emulator();
  // Proto3 JSON accepts both spellings of every field (protobuf.dev/programming-guides/json:
  // "parsers accept both the lowerCamelCase name and the original proto field name").
  const { status, json } = await post(url, 'gemini-2.5-flash-lite', {
    contents: [
      {
        role: 'user',
        parts: [{ inline_data: { mime_type: 'application/pdf', data: Buffer.from(subset).toString('base64') } }, { text: 'Classify this document.' }],
      },
    ],
    system_instruction: { parts: [{ text: 'You sort business documents.' }] },
    generation_config: {
      response_mime_type: 'application/json',
      response_schema: CLASSIFY_SCHEMA,
      max_output_tokens: 256,
      thinking_config: { thinking_budget: 0 },
    },
  });
  assert.equal(status, 200, JSON.stringify(json));
  assert.equal(JSON.parse(json.candidates[0].content.parts[0].text).label, 'vendor_invoice');
  // document-processing page: "Each document page is equivalent to 258 tokens" (Gemini 2.x).
  const documentTokens = json.usageMetadata.promptTokensDetails.find((detail: { modality: string }) => detail.modality === 'DOCUMENT').tokenCount;
  assert.equal(documentTokens, pages * 258);
  assert.ok(json.usageMetadata.promptTokenCount >= pages * 258 + 5);
  assert.equal(json.usageMetadata.thoughtsTokenCount ?? 0, 0);
});

test('unknown fields get Google\'s 400 "Invalid JSON payload received. Unknown name …" with BadRequest field violations', async () => {
  const { url } = await emulator();
  const contents = [{ parts: [{ text: 'hi' }] }];
  // Captured bodies: free-claude-code#542 (top level, no "at"), llm-gemini#49 and LibreChat#11761
  // (nested, "at 'generation_config…'", details type.googleapis.com/google.rpc.BadRequest).
  const top = await post(url, 'gemini-3.5-flash-lite', { contents, google: { thinking_config: {} } });
  assert.equal(top.status, 400);
  assert.equal(top.json.error.status, 'INVALID_ARGUMENT');
  assert.equal(top.json.error.message, 'Invalid JSON payload received. Unknown name "google": Cannot find field.');
  const nested = await post(url, 'gemini-3.5-flash-lite', { contents, generation_config: { max_output_tokens: 10, reasoning_effort: 'high' } });
  assert.equal(nested.json.error.message, `Invalid JSON payload received. Unknown name "reasoning_effort" at 'generation_config': Cannot find field.`);
  assert.deepEqual(nested.json.error.details[0].fieldViolations[0].field, 'generation_config');
  // The Schema message has no additionalProperties (the JS SDK strips it; a raw client is refused).
  const schema = await post(url, 'gemini-3.5-flash-lite', {
    contents,
    generationConfig: {
      responseMimeType: 'application/json',
      responseSchema: { type: 'OBJECT', properties: { a: { type: 'STRING' } }, additionalProperties: false },
    },
  });
  assert.match(schema.json.error.message, /Unknown name "additionalProperties" at 'generation_config\.response_schema': Cannot find field\./);
  // An enum value spelt wrong is refused with its proto type (llm-gemini#49's capture).
  const lower = await post(url, 'gemini-3.5-flash-lite', {
    contents,
    generationConfig: { responseMimeType: 'application/json', responseSchema: { type: 'string' } },
  });
  assert.equal(
    lower.json.error.message,
    `Invalid value at 'generation_config.response_schema.type' (type.googleapis.com/google.ai.generativelanguage.v1beta.Type), "string"`,
  );
});

test('thinking rules: a model that must think refuses budget 0, budgets out of range and thinkingLevel before Gemini 3 are refused, Gemini 3 takes only its own levels, output above the model limit is refused', async () => {
  const { url } = await emulator();
  const ai = client(url);
  const ask = (model: string, config: Record<string, unknown>) => ai.models.generateContent({ model, contents: 'hi', config });
  // gemini-balance#206 and docker-agent#2051 capture: 400 INVALID_ARGUMENT "Budget 0 is invalid. This model only works in thinking mode."
  const pro = errorBody(await sdkError(ask('gemini-3.1-pro-preview', { thinkingConfig: { thinkingBudget: 0 } })));
  assert.deepEqual(
    [pro.error.code, pro.error.status, pro.error.message],
    [400, 'INVALID_ARGUMENT', 'Budget 0 is invalid. This model only works in thinking mode.'],
  );
  // Roo-Code#4399 capture: "The thinking budget (52428) is invalid." (thinking page: Flash-Lite 512–24,576, Pro 128–32,768).
  const tooBig = errorBody(await sdkError(ask('gemini-2.5-flash-lite', { thinkingConfig: { thinkingBudget: 30_000 } })));
  assert.equal(tooBig.error.message, 'The thinking budget (30000) is invalid.');
  const tooSmall = errorBody(await sdkError(ask('gemini-3.1-pro-preview', { thinkingConfig: { thinkingBudget: 64 } })));
  assert.equal(tooSmall.error.message, 'The thinking budget (64) is invalid.');
  // Thinking page: "If you use the thinking_level parameter with a model earlier than Gemini 3, the model returns an error."
  const level = errorBody(await sdkError(ask('gemini-2.5-flash-lite', { thinkingConfig: { thinkingLevel: 'LOW' } })));
  assert.equal(level.error.status, 'INVALID_ARGUMENT');
  // 3.8 Flash refuses MINIMAL (video-intel v2.7.1, 2026-09); a level and a budget together are refused (Gemini 3 page).
  const minimal = errorBody(await sdkError(ask('gemini-3.8-flash', { thinkingConfig: { thinkingLevel: 'MINIMAL' } })));
  assert.equal(minimal.error.status, 'INVALID_ARGUMENT');
  const both = errorBody(await sdkError(ask('gemini-3.8-flash', { thinkingConfig: { thinkingLevel: 'LOW', thinkingBudget: 1024 } })));
  assert.equal(both.error.status, 'INVALID_ARGUMENT');
  // bolt.diy#955 capture of the range message; the output limit is 65,536 (models page).
  const output = errorBody(await sdkError(ask('gemini-3.5-flash-lite', { maxOutputTokens: 100_000 })));
  assert.equal(
    output.error.message,
    'Unable to submit request because it has a maxOutputTokens value of 100000 but the supported range is from 1 (inclusive) to 65537 (exclusive). Update the value and try again.',
  );
  // Dynamic (-1) and in-range budgets are accepted; Flash-Lite at budget 0 does not think; told nothing, a
  // Gemini 3 model thinks at its default level (3.5 Flash-Lite MINIMAL: a little; 3.8 Flash MEDIUM: more).
  const off = await ask('gemini-2.5-flash-lite', { thinkingConfig: { thinkingBudget: 0 } });
  assert.equal(off.usageMetadata?.thoughtsTokenCount ?? 0, 0);
  const on = await ask('gemini-3.1-pro-preview', { thinkingConfig: { thinkingBudget: -1 } });
  assert.ok((on.usageMetadata?.thoughtsTokenCount ?? 0) > 0);
  const lite = (await ask('gemini-3.5-flash-lite', {})).usageMetadata?.thoughtsTokenCount ?? 0;
  const flash = (await ask('gemini-3.8-flash', {})).usageMetadata?.thoughtsTokenCount ?? 0;
  assert.ok(lite < flash, `MINIMAL thinks less than MEDIUM (${lite} vs ${flash})`);
});

test("a model that does not serve generateContent, and a payload over the inline limit, get Google's refusals", async () => {
  const running = await emulator();
  const ai = client(running.url);
  // adk-python#200 capture: 404 "… is not found for API version v1beta, or is not supported for generateContent."
  const embedding = errorBody(await sdkError(ai.models.generateContent({ model: 'gemini-embedding-001', contents: 'hi' })));
  assert.equal(embedding.error.code, 404);
  assert.match(embedding.error.message, /models\/gemini-embedding-001 is not found for API version v1beta, or is not supported for generateContent/);
  // gemini-srt-translator#63 capture: 400 "Request payload size exceeds the limit: N bytes."
  running.configure({ maxPayloadBytes: 2000 });
  const big = errorBody(await sdkError(ai.models.generateContent({ model: 'gemini-3.5-flash-lite', contents: 'x'.repeat(5000) })));
  assert.equal(big.error.message, 'Request payload size exceeds the limit: 2000 bytes.');
  // A response schema needs a JSON response type (Schema docs: "you must also set the response_mime_type to application/json").
  const noMime = await post(running.url, 'gemini-3.5-flash-lite', {
    contents: [{ parts: [{ text: 'hi' }] }],
    generationConfig: { responseSchema: { type: 'STRING' } },
  });
  assert.equal(noMime.status, 400);
});

test("Google's other answers: a 429 without details, run-wide refusals, withheld candidates, a 200 with no candidates", async () => {
  const running = await emulator();
  const ai = client(running.url);
  const once = async (fault: string) => {
    running.configure({ scriptedFaults: [{ fault: fault as never, count: 1 }] });
    return ai.models.generateContent({
      model: 'gemini-3.5-flash-lite',
      contents: 'Invoice no. 1, total 10 EUR',
      config: { responseMimeType: 'application/json', responseSchema: CLASSIFY_SCHEMA },
    });
  };
  // python-genai#2065 capture: a 429 with only a message, no QuotaFailure, no RetryInfo.
  const bare = errorBody(await sdkError(once('429_bare')));
  assert.deepEqual(bare.error, { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' });
  // gemini-cli#24641 capture: 400 FAILED_PRECONDITION "User location is not supported for the API use."
  const location = errorBody(await sdkError(once('location')));
  assert.deepEqual(
    [location.error.code, location.error.status, location.error.message],
    [400, 'FAILED_PRECONDITION', 'User location is not supported for the API use.'],
  );
  const billing = errorBody(await sdkError(once('billing')));
  assert.equal(billing.error.status, 'FAILED_PRECONDITION');
  assert.match(billing.error.message, /enable billing/);
  const permission = errorBody(await sdkError(once('permission')));
  assert.deepEqual([permission.error.code, permission.error.status], [403, 'PERMISSION_DENIED']);
  // finishReason values from the SDK's FinishReason enum; a withheld candidate carries no text.
  for (const [fault, reason] of [
    ['finish_safety', 'SAFETY'],
    ['recitation', 'RECITATION'],
    ['finish_other', 'OTHER'],
  ] as const) {
    const answer = await once(fault);
    assert.equal(answer.candidates?.[0]?.finishReason, reason);
    assert.equal(answer.text, undefined);
  }
  // A blocked prompt: 200, no candidates, promptFeedback.blockReason (llm-gemini#144).
  const blocked = await once('blocked_other');
  assert.equal(blocked.candidates, undefined);
  assert.equal(blocked.promptFeedback?.blockReason, 'OTHER');
  // A refusal that holds for the whole project answers every request the same.
  running.configure({ scriptedFaults: [], refuse: 'location' });
  for (let index = 0; index < 3; index++)
    assert.equal(
      errorBody(await sdkError(ai.models.generateContent({ model: 'gemini-3.8-flash', contents: `q${index}` }))).error.status,
      'FAILED_PRECONDITION',
    );
});

test('an outage lasts: one model answers 503 for its whole duration, then recovers; the other model is unaffected', async () => {
  const running = await emulator({ timeScale: 0.01 });
  const ai = client(running.url);
  const ask = (model: string) =>
    ai.models.generateContent({ model, contents: 'Invoice no. 7', config: { thinkingConfig: { thinkingBudget: model.includes('pro') ? 128 : 0 } } }).then(
      () => 200,
      (error: unknown) => (error as ApiError).status,
    );
  running.configure({ outages: [{ model: 'gemini-3.5-flash-lite', seconds: 60 }] }); // 60 emulated seconds = 600 ms here
  const during = await Promise.all([ask('gemini-3.5-flash-lite'), ask('gemini-3.5-flash-lite'), ask('gemini-3.8-flash')]);
  assert.deepEqual(during, [503, 503, 200]);
  await new Promise((resolve) => setTimeout(resolve, 700));
  assert.equal(await ask('gemini-3.5-flash-lite'), 200);
  assert.equal(running.stats().faults.outage_503, 2);
});

test('the daily quota resets at midnight Pacific time on the emulated clock, not a rolling day', async () => {
  // Rate-limits page: "Requests per day (RPD) quotas reset at midnight Pacific time."
  // 23:59:50 PST; at time scale 0.005 the 10 s to midnight take 50 ms.
  const running = await emulator({ timeScale: 0.005, clockStart: '2026-11-24T07:59:50Z', quota: { 'gemini-3.5-flash-lite': { rpd: 2 } } });
  const ai = client(running.url);
  const ask = () => ai.models.generateContent({ model: 'gemini-3.5-flash-lite', contents: 'hi', config: { thinkingConfig: { thinkingBudget: 0 } } });
  await ask();
  await ask();
  const refused = errorBody(await sdkError(ask()));
  assert.equal(refused.error.code, 429);
  const quotaId = (refused.error.details ?? []).flatMap((detail) => (detail.violations as Array<{ quotaId: string }> | undefined) ?? [])[0]?.quotaId;
  assert.match(quotaId ?? '', /PerDay/);
  const retryDelay = Number(String((refused.error.details ?? []).find((detail) => String(detail['@type']).endsWith('RetryInfo'))?.retryDelay).replace('s', ''));
  assert.ok(retryDelay > 0 && retryDelay <= 0.05, `retryDelay ${retryDelay}s should be the (scaled) time to midnight, ≤ 50 ms`);
  await new Promise((resolve) => setTimeout(resolve, 80));
  await ask(); // a new Pacific day: the quota is fresh
});

test('usage differs from a chars/4 estimate where a tokenizer would: a table of numbers costs more than its length suggests', async () => {
  const { url } = await emulator();
  const ai = client(url);
  const amounts = Array.from({ length: 40 }, (_, index) => `${(index * 1234.56).toFixed(2)} EUR`).join('\n');
  const counted = await ai.models.countTokens({ model: 'gemini-3.5-flash-lite', contents: amounts });
  assert.ok(counted.totalTokens! > 2 * Math.ceil(amounts.length / 4), `${counted.totalTokens} tokens for ${amounts.length} characters`);
});

test("models.list and models.get answer in Google's shape; a model past its shutdown is gone from both and from generateContent", async () => {
  // Deprecations page: gemini-2.5-pro and gemini-2.5-flash shut down on 2026-12-01; 2.5 Flash-Lite is still served.
  const running = await emulator({ clockStart: '2026-12-06T12:00:00Z' });
  const ai = client(running.url);
  const pager = await ai.models.list({ config: { pageSize: 3 } });
  const ids: string[] = [];
  for (let page = pager; ; await page.nextPage()) {
    ids.push(...page.page.map((model) => model.name!));
    if (!page.hasNextPage()) break;
  }
  assert.ok(ids.includes('models/gemini-3.5-flash-lite') && ids.includes('models/gemini-2.5-flash-lite'), ids.join(', '));
  assert.ok(!ids.includes('models/gemini-2.5-pro') && !ids.includes('models/gemini-2.5-flash'), 'retired models are not listed');
  // The Model resource (ai.google.dev/api/models): the SDK maps supportedGenerationMethods to supportedActions.
  const model = await ai.models.get({ model: 'gemini-3.8-flash' });
  assert.deepEqual([model.name, model.inputTokenLimit, model.outputTokenLimit], ['models/gemini-3.8-flash', 1_048_576, 65_536]);
  assert.ok(model.supportedActions?.includes('generateContent') && model.supportedActions.includes('batchGenerateContent'));
  const gone = errorBody(await sdkError(ai.models.get({ model: 'gemini-2.5-pro' })));
  assert.deepEqual([gone.error.code, gone.error.status], [404, 'NOT_FOUND']);
  // adk-python#200 capture: the 404 a model Google does not serve gets.
  const ask = errorBody(await sdkError(ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' })));
  assert.equal(
    ask.error.message,
    'models/gemini-2.5-flash is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.',
  );
  // Before its shutdown, the same model answers.
  const earlier = await emulator({ clockStart: '2026-11-20T12:00:00Z' });
  assert.ok((await client(earlier.url).models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' })).text !== undefined);
});

test('Gemini 3 bills a PDF page by media resolution (280 low, 560 medium and by default, 1,120 high); 2.x at 258 whatever is asked', async () => {
  const { url } = await emulator();
  const ai = client(url);
  const documentTokens = async (model: string, mediaResolution?: string) => {
    const answer = await ai.models.generateContent({
      model,
      contents: [
        { role: 'user', parts: [{ inlineData: { mimeType: 'application/pdf', data: Buffer.from(subset).toString('base64') } }, { text: 'Classify.' }] },
      ],
      config: { ...(mediaResolution ? { mediaResolution: mediaResolution as never } : {}) },
    });
    return answer.usageMetadata?.promptTokensDetails?.find((detail) => detail.modality === 'DOCUMENT')?.tokenCount;
  };
  assert.deepEqual(
    [
      await documentTokens('gemini-3.5-flash-lite', 'MEDIA_RESOLUTION_LOW'),
      await documentTokens('gemini-3.5-flash-lite'),
      await documentTokens('gemini-3.5-flash-lite', 'MEDIA_RESOLUTION_HIGH'),
    ],
    [pages * 280, pages * 560, pages * 1120],
  );
  assert.equal(await documentTokens('gemini-2.5-flash-lite', 'MEDIA_RESOLUTION_LOW'), pages * 258);
});

test('a spend cap answers 429 with a billing description and no quota to wait out, once the spend passes it', async () => {
  const running = await emulator({ spendCap: { usd: 0 } });
  const refused = errorBody(await sdkError(client(running.url).models.generateContent({ model: 'gemini-3.5-flash-lite', contents: 'hi' })));
  // The monthly-cap message as captured in production logs (2026-05).
  assert.deepEqual([refused.error.code, refused.error.status], [429, 'RESOURCE_EXHAUSTED']);
  assert.match(refused.error.message, /^Your billing account has exceeded its monthly spending cap\./);
  assert.ok(!(refused.error.details ?? []).some((detail) => /QuotaFailure|RetryInfo/.test(String(detail['@type']))), 'nothing to wait out');
  assert.equal(running.stats().faults.spend_cap, 1);
});
