import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type BatchJob, JobState } from '@google/genai';
import { generateCorpus, type ManifestEntry, parseManifest } from '../src/corpus/generate.ts';
import { startEmulator } from '../src/emulator/server.ts';
import { prepareFile } from '../src/workers/prepare.ts';
import { CLASSIFY_SCHEMA, client, errorBody, pdfPart } from './helpers/genai.ts';
import { tempDir } from './helpers/temp.ts';

const dir = tempDir('emulator-batch');
let manifest: ManifestEntry[];
/** A job queues 40 ms and runs ~50 ms at this scale. */
const scaled = { timeScale: 0.001 };

before(async () => {
  await generateCorpus({ dir, count: 8, seed: 5, maxPages: 3, damagedRate: 0 });
  manifest = parseManifest(readFileSync(join(dir, 'manifest.jsonl'), 'utf8'));
});

async function requestFor(entry: ManifestEntry) {
  const prepared = await prepareFile({ path: join(dir, entry.file), pageWindow: 3, maxFileBytes: 1 << 30, buildSubset: true });
  assert.equal(prepared.kind, 'prepared');
  const subset = prepared.kind === 'prepared' ? prepared.subset : new Uint8Array();
  return {
    contents: [{ role: 'user', parts: [pdfPart(subset), { text: 'Classify this document.' }] }],
    config: {
      systemInstruction: 'You classify finance documents.',
      responseMimeType: 'application/json',
      responseSchema: CLASSIFY_SCHEMA,
      thinkingConfig: { thinkingBudget: 0 },
    },
  };
}

async function until(ai: ReturnType<typeof client>, name: string, done: (job: BatchJob) => boolean): Promise<BatchJob> {
  for (let polls = 0; polls < 400; polls++) {
    const job = await ai.batches.get({ name });
    if (done(job)) return job;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${name} never reached the state`);
}

const ended = (job: BatchJob) =>
  [JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED, JobState.JOB_STATE_EXPIRED].includes(job.state!);

test('an inline batch goes PENDING → RUNNING → SUCCEEDED through the real SDK, answers keyed, billed at the batch tier, no online call counted', async () => {
  const emulator = await startEmulator(scaled);
  after(() => emulator.close());
  const ai = client(emulator.url);
  const requests = await Promise.all(manifest.slice(0, 4).map(async (entry, index) => ({ ...(await requestFor(entry)), metadata: { key: `k${index}` } })));
  const created = await ai.batches.create({ model: 'gemini-3.5-flash-lite', src: requests, config: { displayName: 'docpool-test-1' } });
  assert.equal(created.state, JobState.JOB_STATE_PENDING);
  assert.equal(created.displayName, 'docpool-test-1');
  await until(ai, created.name!, (job) => job.state === JobState.JOB_STATE_RUNNING);
  const done = await until(ai, created.name!, ended);
  assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED);
  const answers = done.dest?.inlinedResponses ?? [];
  assert.equal(answers.length, 4);
  answers.forEach((item, index) => {
    assert.equal(item.metadata?.key, `k${index}`);
    // A plain object here, not a GenerateContentResponse: no `.text` getter.
    assert.equal(JSON.parse(item.response?.candidates?.[0]?.content?.parts?.[0]?.text ?? '{}').label, manifest[index]!.class);
  });
  const stats = emulator.stats();
  assert.deepEqual(stats.batches, { created: 1, succeeded: 1, failed: 0, cancelled: 0, expired: 0, requests: 4 });
  assert.equal(stats.requests.byMethod.generateContent, undefined);
  assert.equal(stats.byTier.batch?.requests, 4);
  const listed = await ai.batches.list({ config: { pageSize: 10 } });
  assert.deepEqual(
    listed.page.map((job) => job.displayName),
    ['docpool-test-1'],
  );
});

test("a JSONL input uploaded through the resumable Files API gives a results file with one line per key; a bad request is that line's error", async () => {
  const emulator = await startEmulator({ ...scaled, batch: { requestErrorRate: 0 } });
  after(() => emulator.close());
  const ai = client(emulator.url);
  const toWire = async (entry: ManifestEntry) => {
    const { contents, config } = await requestFor(entry);
    return {
      contents,
      systemInstruction: { parts: [{ text: config.systemInstruction }] },
      generation_config: { response_mime_type: 'application/json', response_schema: config.responseSchema, thinking_config: { thinking_budget: 0 } },
    };
  };
  const lines = [
    JSON.stringify({ key: 'a', request: await toWire(manifest[0]!) }),
    JSON.stringify({ key: 'b', request: await toWire(manifest[1]!) }),
    JSON.stringify({ key: 'bad', request: { contents: [{ role: 'user', parts: [{ text: 'x' }] }], generationConfig: { maxOutputTokens: 'many' } } }),
  ];
  const input = join(dir, 'input.jsonl');
  writeFileSync(input, `${lines.join('\n')}\n`);
  const file = await ai.files.upload({ file: input, config: { mimeType: 'application/jsonl', displayName: 'docpool-input' } });
  assert.match(file.name ?? '', /^files\//);
  assert.equal(file.state, 'ACTIVE');
  const created = await ai.batches.create({ model: 'gemini-3.5-flash-lite', src: file.name!, config: { displayName: 'docpool-file-job' } });
  const done = await until(ai, created.name!, ended);
  assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED);
  assert.match(done.dest?.fileName ?? '', /^files\//);
  const output = join(dir, 'results.jsonl');
  await ai.files.download({ file: done.dest!.fileName!, downloadPath: output });
  const results = readFileSync(output, 'utf8')
    .trim()
    .split('\n')
    .map(
      (line) =>
        JSON.parse(line) as {
          key: string;
          response?: { candidates: Array<{ content: { parts: Array<{ text: string }> } }> };
          error?: { code: number; message: string };
        },
    );
  assert.deepEqual(
    results.map((line) => line.key),
    ['a', 'b', 'bad'],
  );
  assert.equal(JSON.parse(results[0]!.response!.candidates[0]!.content.parts[0]!.text).label, manifest[0]!.class);
  assert.equal(results[2]!.error?.code, 3, 'INVALID_ARGUMENT for the malformed request');
  assert.equal(emulator.stats().batches.requests, 3);
});

test('per-request errors, and the failed, expired and cancelled ends a job can have', async () => {
  const emulator = await startEmulator({ ...scaled, batch: { requestErrorRate: 0.5, outcomes: { '2': 'failed', '3': 'expired', '4': 'cancelled' } } });
  after(() => emulator.close());
  const ai = client(emulator.url);
  const requests = await Promise.all(manifest.map(async (entry, index) => ({ ...(await requestFor(entry)), metadata: { key: `k${index}` } })));
  const jobs = [];
  for (const name of ['partial', 'failing', 'expiring', 'cancelled-elsewhere'])
    jobs.push(await ai.batches.create({ model: 'gemini-3.5-flash-lite', src: requests, config: { displayName: name } }));
  const partial = await until(ai, jobs[0]!.name!, ended);
  const errors = partial.dest!.inlinedResponses!.filter((item) => item.error);
  assert.ok(errors.length > 0 && errors.length < requests.length, `some requests fail, not all (${errors.length})`);
  assert.equal(errors[0]!.error!.code, 13);
  assert.equal((await until(ai, jobs[1]!.name!, ended)).state, JobState.JOB_STATE_FAILED);
  assert.equal((await until(ai, jobs[3]!.name!, ended)).state, JobState.JOB_STATE_CANCELLED);
  // 48 h at this scale is 173 s: the expiring job stays pending meanwhile, then a shorter clock shows it expire.
  assert.equal((await ai.batches.get({ name: jobs[2]!.name! })).state, JobState.JOB_STATE_PENDING);
  emulator.configure({ timeScale: 0.00001 });
  assert.equal((await until(ai, jobs[2]!.name!, ended)).state, JobState.JOB_STATE_EXPIRED);
  await ai.batches.cancel({ name: jobs[0]!.name! });
  assert.equal((await ai.batches.get({ name: jobs[0]!.name! })).state, JobState.JOB_STATE_SUCCEEDED, 'cancelling a finished job changes nothing');
  await ai.batches.delete({ name: jobs[0]!.name! });
  await assert.rejects(ai.batches.get({ name: jobs[0]!.name! }), (error) => errorBody(error).error.status === 'NOT_FOUND');
  const stats = emulator.stats().batches;
  assert.deepEqual([stats.created, stats.succeeded, stats.failed, stats.expired, stats.cancelled], [4, 1, 1, 1, 1]);
});

test("Google's refusals: an unknown model, no display name, an inline batch over 20 MB", async () => {
  const emulator = await startEmulator(scaled);
  after(() => emulator.close());
  const ai = client(emulator.url);
  const one = [{ contents: [{ role: 'user', parts: [{ text: 'hello' }] }] }];
  await assert.rejects(ai.batches.create({ model: 'gemini-0-nope', src: one, config: { displayName: 'x' } }), (error) => errorBody(error).error.code === 404);
  await assert.rejects(ai.batches.create({ model: 'gemini-3.5-flash-lite', src: one }), (error) => errorBody(error).error.status === 'INVALID_ARGUMENT');
  const big = Array.from({ length: 3 }, () => ({ contents: [{ role: 'user', parts: [{ text: 'x'.repeat(8 * 1024 * 1024) }] }] }));
  await assert.rejects(ai.batches.create({ model: 'gemini-3.5-flash-lite', src: big, config: { displayName: 'big' } }), (error) =>
    /20971520/.test(errorBody(error).error.message),
  );
  assert.equal(emulator.stats().batches.created, 0);
});
