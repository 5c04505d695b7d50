import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ApiError } from '@google/genai';
import { generateCorpus, type ManifestEntry, parseManifest } from '../src/corpus/generate.ts';
import { startEmulator } from '../src/emulator/server.ts';
import { prepareFile } from '../src/workers/prepare.ts';
import { CLASSIFY_SCHEMA, client, errorBody, INVOICE_SCHEMA, pdfPart } from './helpers/genai.ts';
import { tempDir } from './helpers/temp.ts';

const dir = tempDir('emulator');
let manifest: ManifestEntry[];
const fast = { timeScale: 1, defaultLatency: { medianMs: 0, sigma: 0 }, latency: {} };

before(async () => {
  await generateCorpus({ dir, count: 60, seed: 21, maxPages: 8, damagedRate: 0, scannedRate: 0.15 });
  manifest = parseManifest(readFileSync(join(dir, 'manifest.jsonl'), 'utf8'));
});

async function subsetOf(entry: ManifestEntry): Promise<Uint8Array> {
  const result = await prepareFile({ path: join(dir, entry.file), pageWindow: 5, maxFileBytes: 1 << 30, buildSubset: true });
  assert.equal(result.kind, 'prepared');
  return result.kind === 'prepared' ? result.subset : new Uint8Array();
}

test('a generated invoice comes back through the real SDK with its true label and fields', async () => {
  const emulator = await startEmulator(fast);
  after(() => emulator.close());
  const ai = client(emulator.url);
  for (const entry of manifest.filter((candidate) => candidate.class === 'vendor_invoice').slice(0, 5)) {
    const subset = await subsetOf(entry);
    const classified = await ai.models.generateContent({
      model: 'gemini-3.5-flash-lite',
      contents: [{ role: 'user', parts: [pdfPart(subset), { text: 'Classify this document.' }] }],
      config: { responseMimeType: 'application/json', responseSchema: CLASSIFY_SCHEMA, thinkingConfig: { thinkingBudget: 0 } },
    });
    assert.equal(JSON.parse(classified.text ?? '').label, 'vendor_invoice');
    // Gemini 3 at the default media resolution for PDFs (MEDIUM): 560 tokens a page.
    assert.equal(classified.usageMetadata?.promptTokensDetails?.find((detail) => detail.modality === 'DOCUMENT')?.tokenCount, Math.min(entry.pages, 5) * 560);
    assert.equal(classified.usageMetadata?.thoughtsTokenCount, undefined, 'thinking off when the budget is 0');

    const extracted = await ai.models.generateContent({
      model: 'gemini-3.8-flash',
      contents: [{ role: 'user', parts: [pdfPart(subset), { text: 'Extract the invoice fields.' }] }],
      config: { responseMimeType: 'application/json', responseSchema: INVOICE_SCHEMA, maxOutputTokens: 8192 },
    });
    const fields = JSON.parse(extracted.text ?? '');
    assert.equal(fields.invoice_number, entry.fields.invoice_number);
    assert.equal(fields.total, entry.fields.total);
    assert.equal(fields.currency, entry.fields.currency);
    assert.equal(fields.line_items.length, (entry.fields.line_items as unknown[]).length);
    assert.ok((extracted.usageMetadata?.thoughtsTokenCount ?? 0) > 0, 'told nothing, 3.8 Flash thinks at its default level (MEDIUM)');
  }
});

test('an image-only generated document is answered from its embedded truth; text-only requests from the text', async () => {
  const emulator = await startEmulator(fast);
  after(() => emulator.close());
  const ai = client(emulator.url);
  const scanned = manifest.find((entry) => entry.scanned)!;
  const answer = await ai.models.generateContent({
    model: 'gemini-3.5-flash-lite',
    contents: [{ role: 'user', parts: [pdfPart(await subsetOf(scanned)), { text: 'Classify.' }] }],
    config: { responseMimeType: 'application/json', responseSchema: CLASSIFY_SCHEMA },
  });
  assert.equal(JSON.parse(answer.text ?? '').label, scanned.class);

  const text = 'RECHNUNG\nRechnungsnummer: RE-2024-00042\nRechnungsdatum: 05.03.2024\nGesamtbetrag: 1.234,56 €\nMwSt. 19%';
  const fromText = await ai.models.generateContent({
    model: 'gemini-3.5-flash-lite',
    contents: [{ role: 'user', parts: [{ text: 'Classify:' }, { text }] }],
    config: {
      responseMimeType: 'application/json',
      responseSchema: {
        type: 'OBJECT',
        properties: { label: CLASSIFY_SCHEMA.properties.label, invoice_number: { type: 'STRING' }, total: { type: 'NUMBER' } },
      },
    },
  });
  assert.deepEqual(JSON.parse(fromText.text ?? ''), { label: 'vendor_invoice', invoice_number: 'RE-2024-00042', total: 1234.56 });
  const counted = await ai.models.countTokens({ model: 'gemini-3.5-flash-lite', contents: [{ role: 'user', parts: [{ text }] }] });
  // Counted like a SentencePiece vocabulary, not as characters ÷ 4 (which gives 26): every digit
  // is a token (25), long words split (RECHNUNG 2, Rechnungsnummer 4, Rechnungsdatum 3,
  // Gesamtbetrag 3, RE 1, MwSt 1), and each symbol and line break is one (16): 55.
  assert.equal(counted.totalTokens, 55);
});

test('a quota of N RPM admits exactly N per window, and retryDelay is when the window frees up', async () => {
  const timeScale = 0.05; // a 60 s window lasts 3 s
  const emulator = await startEmulator({ ...fast, timeScale, quota: { 'gemini-3.5-flash-lite': { rpm: 5 } } });
  after(() => emulator.close());
  const ai = client(emulator.url);
  const ask = () => ai.models.generateContent({ model: 'gemini-3.5-flash-lite', contents: 'ping' });
  const started = Date.now();
  for (let index = 0; index < 5; index++) await ask();
  const refused = await ask().then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.ok(refused instanceof ApiError && refused.status === 429);
  const body = errorBody(refused);
  assert.equal(body.error.status, 'RESOURCE_EXHAUSTED');
  const retry = body.error.details?.find((detail) => String(detail['@type']).endsWith('RetryInfo'));
  const quotaFailure = body.error.details?.find((detail) => String(detail['@type']).endsWith('QuotaFailure'));
  assert.ok(quotaFailure, 'QuotaFailure detail present');
  const delayMs = Number.parseFloat(String(retry?.retryDelay)) * 1000;
  const windowFreesAt = started + 60_000 * timeScale;
  assert.ok(Math.abs(Date.now() + delayMs - windowFreesAt) < 250, `retryDelay ${delayMs} ms should end when the window frees up`);
  assert.match(String(retry?.retryDelay), /^\d+(\.\d+)?s$/);
  await new Promise((resolve) => setTimeout(resolve, delayMs + 20));
  await ask(); // admitted again once the first request aged out
  const stats = emulator.stats();
  assert.deepEqual(stats.requests.byStatus, { '200': 6, '429': 1 });
  assert.equal(stats.acceptedPerWindow['gemini-3.5-flash-lite']?.[0], 5);
  // The same six answers in 100 ms ticks, the last one after the window freed up.
  const ticks = stats.acceptedPerTick['gemini-3.5-flash-lite'] ?? [];
  assert.equal(
    ticks.reduce((sum, accepted) => sum + accepted, 0),
    6,
  );
  assert.ok(ticks.length * stats.tickMs >= 60_000 * timeScale, 'the sixth answer falls in a tick after the window');
});

test('each fault appears at its configured rate and surfaces in the SDK as the real service would', async () => {
  const emulator = await startEmulator({ ...fast, faultRates: { '503': 0.2, '500': 0.1 }, seed: 7 });
  after(() => emulator.close());
  const ai = client(emulator.url);
  const outcomes = await Promise.all(
    Array.from({ length: 400 }, () =>
      ai.models.generateContent({ model: 'gemini-3.5-flash-lite', contents: 'hello' }).then(
        () => 200,
        (error: unknown) => (error instanceof ApiError ? error.status : -1),
      ),
    ),
  );
  const count = (status: number) => outcomes.filter((outcome) => outcome === status).length;
  // Binomial(400, p): allow about four standard deviations.
  assert.ok(Math.abs(count(503) - 80) <= 32, `503s: ${count(503)}`);
  assert.ok(Math.abs(count(500) - 40) <= 24, `500s: ${count(500)}`);
  assert.equal(count(200) + count(503) + count(500), 400);

  emulator.configure({ faultRates: {}, scriptedFaults: [{ model: 'gemini-3.8-flash', fault: '503', count: 3 }] });
  const pro = client(emulator.url);
  for (let index = 0; index < 3; index++) {
    const error = await pro.models.generateContent({ model: 'gemini-3.8-flash', contents: 'x' }).catch((caught: unknown) => caught);
    assert.ok(error instanceof ApiError && error.status === 503 && errorBody(error).error.message.includes('overloaded'));
  }
  assert.ok((await pro.models.generateContent({ model: 'gemini-3.8-flash', contents: 'x' })).text);
});

test('stalls, resets, malformed and truncated answers and SAFETY blocks look like the real thing', async () => {
  const emulator = await startEmulator(fast);
  after(() => emulator.close());
  const script = (fault: string) => emulator.configure({ scriptedFaults: [{ fault: fault as never, count: 1 }] });
  const request = {
    model: 'gemini-3.5-flash-lite',
    contents: 'Classify: INVOICE total 12.00 EUR',
    config: { responseMimeType: 'application/json', responseSchema: CLASSIFY_SCHEMA },
  };

  script('stall');
  const stalled = await client(emulator.url, 'k', 300)
    .models.generateContent(request)
    .catch((error: unknown) => error);
  assert.equal((stalled as Error).name, 'AbortError', 'a stalled connection ends in the client deadline');

  script('reset');
  const reset = await client(emulator.url)
    .models.generateContent(request)
    .catch((error: unknown) => error);
  assert.ok(reset instanceof TypeError && /fetch failed/.test(reset.message));

  script('malformed');
  const malformed = await client(emulator.url).models.generateContent(request);
  assert.throws(() => JSON.parse(malformed.text ?? ''));

  script('max_tokens');
  const truncated = await client(emulator.url).models.generateContent(request);
  assert.equal(truncated.candidates?.[0]?.finishReason, 'MAX_TOKENS');

  script('safety');
  const blocked = await client(emulator.url).models.generateContent(request);
  assert.equal(blocked.promptFeedback?.blockReason, 'SAFETY');
  assert.equal(blocked.candidates, undefined);

  // Thinking counts against maxOutputTokens: too small a budget truncates, as on the service.
  const tight = await client(emulator.url).models.generateContent({
    ...request,
    model: 'gemini-3.8-flash',
    config: { ...request.config, maxOutputTokens: 100 },
  });
  assert.equal(tight.candidates?.[0]?.finishReason, 'MAX_TOKENS');
  assert.deepEqual(emulator.stats().faults, { stall: 1, reset: 1, malformed: 1, max_tokens: 1, safety: 1 });
});

test('keys, unknown models and bad requests get the real error bodies', async () => {
  const emulator = await startEmulator({ ...fast, acceptedKeys: ['good-key'] });
  after(() => emulator.close());
  const bad = await client(emulator.url, 'wrong-key')
    .models.generateContent({ model: 'gemini-3.5-flash-lite', contents: 'x' })
    .catch((error: unknown) => error);
  assert.ok(bad instanceof ApiError && bad.status === 400);
  assert.equal(errorBody(bad).error.details?.[0]?.reason, 'API_KEY_INVALID');

  const missing = await fetch(`${emulator.url}/v1beta/models/gemini-3.5-flash-lite:generateContent`, { method: 'POST', body: '{}' });
  assert.equal(missing.status, 403);
  assert.equal(((await missing.json()) as { error: { status: string } }).error.status, 'PERMISSION_DENIED');

  const unknown = await client(emulator.url, 'good-key')
    .models.generateContent({ model: 'gemini-9-ultra', contents: 'x' })
    .catch((error: unknown) => error);
  assert.ok(unknown instanceof ApiError && unknown.status === 404 && /models\/gemini-9-ultra is not found/.test(unknown.message));

  const post = (body: string) =>
    fetch(`${emulator.url}/v1beta/models/gemini-3.5-flash-lite:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': 'good-key', 'content-type': 'application/json' },
      body,
    });
  const badJson = await post('{not json');
  assert.equal(badJson.status, 400);
  assert.match(((await badJson.json()) as { error: { message: string } }).error.message, /Invalid JSON payload/);
  const noContents = await post('{}');
  assert.equal(noContents.status, 400);
  assert.match(((await noContents.json()) as { error: { message: string } }).error.message, /contents is not specified/);

  emulator.configure({ maxPayloadBytes: 1000 });
  const huge = await post(JSON.stringify({ contents: [{ parts: [{ text: 'x'.repeat(5000) }] }] }));
  assert.equal(huge.status, 400);
  assert.match(((await huge.json()) as { error: { message: string } }).error.message, /Request payload size exceeds the limit: 1000 bytes/);
  assert.equal(emulator.stats().requests.total, 5, 'every API request counts, whatever its outcome');
});

test('the time scale shrinks latency as it shrinks windows', async () => {
  const emulator = await startEmulator({ timeScale: 0.02, latency: { 'gemini-3.5-flash-lite': { medianMs: 2000, sigma: 0, perKiloTokenMs: 0 } } });
  after(() => emulator.close());
  const ai = client(emulator.url);
  const started = performance.now();
  await ai.models.generateContent({ model: 'gemini-3.5-flash-lite', contents: 'hi' });
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 38 && elapsed < 400, `2 s × 0.02 should take ~40 ms, took ${elapsed.toFixed(0)} ms`);
  assert.equal(emulator.stats().windowMs, 1200);
});

test('it listens on loopback only by default', async () => {
  const emulator = await startEmulator(fast);
  after(() => emulator.close());
  assert.match(emulator.url, /^http:\/\/127\.0\.0\.1:\d+$/);
});
