import assert from 'node:assert/strict';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateCorpus, type ManifestEntry } from '../src/corpus/generate.ts';
import { startEmulator } from '../src/emulator/server.ts';
import type { EmulatorConfigInput } from '../src/emulator/config.ts';
import type { EstimateReport } from '../src/main/commands/estimate.ts';
import type { ModelListing } from '../src/main/commands/models.ts';
import { runCli, UNLIMITED } from './helpers/cli.ts';
import { readManifest, readRecords } from './helpers/run-fixture.ts';
import { tempDir } from './helpers/temp.ts';

/**
 * Gemini as Google serves it on 2026-12-06 (issue 24): the defaults answer, a retired or unknown
 * model stops the run before any generateContent, `docpool models` asks Google, a spend cap stops
 * admission, and a quota nobody published is learned from Google's first 429.
 */
const KEY = { GEMINI_API_KEY: 'test-key' };
const work = tempDir('gemini-today');
const corpus = join(work, 'corpus');
let manifest: ManifestEntry[];

before(async () => {
  await generateCorpus({ dir: corpus, count: 24, seed: 24, maxPages: 3, damagedRate: 0 });
  manifest = readManifest(corpus);
});

async function emulator(config: EmulatorConfigInput = {}) {
  const running = await startEmulator({ defaultLatency: { medianMs: 0, sigma: 0 }, latency: {}, ...config });
  after(() => running.close());
  return running;
}

const run = (url: string, name: string, ...extra: string[]) =>
  runCli(['run', corpus, '-o', join(work, `${name}.jsonl`), '--db', join(work, `${name}-db`), '--base-url', url, '--no-tui', ...extra], { env: KEY });

test('the default models answer today: a plain run against the emulator classifies and extracts every file', async () => {
  const server = await emulator();
  const result = await run(server.url, 'defaults', ...UNLIMITED);
  assert.equal(result.code, 0, result.stderr);
  const records = readRecords(join(work, 'defaults.jsonl'));
  assert.equal(records.length, manifest.length);
  assert.ok(records.every((record) => record.status === 'done' && record.models.classify === 'gemini-3.5-flash-lite'));
  assert.ok(
    records.some((record) => record.models.extract === 'gemini-3.8-flash'),
    'invoices are extracted on gemini-3.8-flash',
  );
  assert.equal(server.stats().faults.spend_cap, undefined);
});

test('a model Google shut down, or one it does not serve, stops the run with exit 3 before any generateContent, naming what to use', async () => {
  const server = await emulator();
  const retired = await run(server.url, 'retired', '--classify-model', 'gemini-2.5-flash');
  assert.equal(retired.code, 3, retired.stderr);
  assert.match(
    retired.stderr,
    /--classify-model gemini-2\.5-flash: Google shut gemini-2\.5-flash down on 2026-12-01; its replacement is gemini-3\.5-flash-lite/,
  );
  const unknown = await run(server.url, 'unknown', '--extract-model', 'gemini-9.9-flash');
  assert.equal(unknown.code, 3, unknown.stderr);
  assert.match(
    unknown.stderr,
    /--extract-model gemini-9\.9-flash: Google does not serve it to this key\. Models this key can use for generateContent: .*gemini-3\.8-flash/,
  );
  assert.doesNotMatch(unknown.stderr, /gemini-2\.5-pro|gemini-embedding/, 'neither retired models nor models without generateContent are offered');
  assert.equal(server.stats().requests.byMethod.generateContent, undefined, 'no generateContent request was sent');
  assert.doesNotMatch(retired.stderr + unknown.stderr, /internal error|\n\s+at /, 'no stack trace');
});

test('an endpoint that does not serve the models API (a proxy) gets a warning, and the run goes on', async () => {
  const server = await emulator();
  const upstream = new URL(server.url);
  // A proxy that forwards generateContent and knows nothing of models.get.
  const proxy = createServer((request, response) => {
    if (request.method === 'GET') {
      response.writeHead(404, { 'content-type': 'text/html' }).end('<html>not here</html>');
      return;
    }
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, path: request.url, method: request.method, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    request.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  after(() => proxy.close());
  const result = await run(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, 'proxy', ...UNLIMITED);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /the endpoint did not answer models\.get .*going on without checking the models/);
  assert.equal(readRecords(join(work, 'proxy.jsonl')).length, manifest.length);
});

test("docpool models lists what the key can use with docpool's facts, and prices agree with estimate", async () => {
  const server = await emulator();
  const listed = await runCli(['models', '--base-url', server.url, '--json'], { env: KEY });
  assert.equal(listed.code, 0, listed.stderr);
  const listing = JSON.parse(listed.stdout) as ModelListing;
  const row = (id: string) => listing.models.find((model) => model.id === id)!;
  assert.equal(listing.notAsked, undefined);
  assert.deepEqual(
    [row('gemini-3.5-flash-lite').served, row('gemini-3.5-flash-lite').defaultFor, row('gemini-3.8-flash').defaultFor],
    [true, 'classify', 'extract'],
  );
  assert.deepEqual(
    [row('gemini-2.5-pro').served, row('gemini-2.5-pro').facts?.retired, row('gemini-2.5-pro').facts?.replacement],
    [false, true, 'gemini-3.8-flash'],
  );
  assert.equal(row('gemini-3.8-flash').outputTokenLimit, 65_536, "token limits come from Google's answer");
  assert.deepEqual(row('gemini-3.8-flash').facts?.pdfPageTokens, { low: 280, medium: 560, high: 1120 });
  assert.match(row('gemini-3.8-flash').facts!.thinking, /level LOW\/MEDIUM\/HIGH .*docpool sends LOW/);
  const text = await runCli(['models', '--base-url', server.url], { env: KEY });
  assert.match(text.stdout, /gemini-2\.5-pro NOT SERVED to this key\n {2}stable, released 2025-06-17, SHUT DOWN 2026-12-01, use gemini-3\.8-flash/);
  const offline = await runCli(['models'], { env: { GEMINI_API_KEY: '', GOOGLE_API_KEY: '' } });
  assert.match(offline.stdout, /no GEMINI_API_KEY or GOOGLE_API_KEY set: docpool's own table only/);

  // The estimate's classification cost is its tokens at the prices `models` lists (one Pricing).
  const estimated = await runCli(['estimate', corpus, '--json', '--workers', '1']);
  const report = JSON.parse(estimated.stdout) as EstimateReport;
  const price = row('gemini-3.5-flash-lite').facts!.prices.standard;
  const expected = (report.classify.inputTokens * price.input + report.classify.outputTokens * price.output) / 1e6;
  assert.ok(Math.abs(report.classify.costUsd! - expected) < 1e-9, `${report.classify.costUsd} vs ${expected}`);
  const batch = report.modes.find((mode) => mode.mode === 'one-pass batch')!;
  const onePass = report.modes.find((mode) => mode.mode === 'one-pass standard')!;
  assert.ok(Math.abs(batch.costUsd! / onePass.costUsd! - row('gemini-3.5-flash-lite').facts!.prices.batch.input / price.input) < 1e-9);
});

test('a spend-cap 429 stops admission with exit 4 and what to do; no more requests go out, and the files stay pending for the next run', async () => {
  // After about ten answers' worth of spend; one request per model in flight at a time.
  const server = await emulator({ spendCap: { usd: 0.004, kind: 'billing-account' } });
  const capped = await run(server.url, 'capped', ...UNLIMITED, '--concurrency', 'gemini-3.5-flash-lite=1,gemini-3.8-flash=1');
  assert.equal(capped.code, 4, capped.stderr);
  assert.match(capped.stderr, /spend, not rate .*monthly spending cap.*raise the spend cap in Google AI Studio/s);
  assert.ok((server.stats().faults.spend_cap ?? 0) <= 2, `at most one refused request per model (${server.stats().faults.spend_cap})`);
  const done = readRecords(join(work, 'capped.jsonl'));
  assert.ok(done.length > 0 && done.length < manifest.length, `some answered before the cap (${done.length})`);
  assert.ok(
    done.every((record) => record.status === 'done'),
    'no file was failed for the cap',
  );
  // The cap raised: the same command answers the rest, and only the rest.
  server.configure({ spendCap: undefined });
  server.resetStats();
  const again = await run(server.url, 'capped', ...UNLIMITED);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(readRecords(join(work, 'capped.jsonl')).length, manifest.length);
  assert.ok(server.stats().requests.byModel['gemini-3.5-flash-lite']! <= manifest.length - done.length + 2, 'answered files are not asked again');
});

test("a quota docpool is not told is learned from Google's first 429: few 429s, the quota kept busy", async (t) => {
  const files = 2000;
  const big = join(work, 'many');
  await generateCorpus({ dir: big, count: files, seed: 25, maxPages: 1, damagedRate: 0 });
  // 120 requests per 2 s window (the emulator's time scale of 1/30): ~60 files/s, below what this machine prepares.
  const timeScale = 1 / 30;
  const windowMs = 60_000 * timeScale;
  const quota = 120;
  const server = await emulator({
    timeScale,
    quota: { 'gemini-3.5-flash-lite': { rpm: quota } },
    latency: { 'gemini-3.5-flash-lite': { medianMs: 1500, sigma: 0.3 } },
  });
  const result = await runCli(
    [
      'run',
      big,
      '-o',
      join(work, 'many.jsonl'),
      '--db',
      join(work, 'many-db'),
      '--base-url',
      server.url,
      '--no-tui',
      '--passes',
      '1',
      '--quota-window-ms',
      String(windowMs),
    ],
    { env: KEY },
  );
  assert.equal(result.code, 0, result.stderr);
  assert.equal(readRecords(join(work, 'many.jsonl')).length, files);
  const stats = server.stats();
  const refused = stats.requests.byStatus['429'] ?? 0;
  const share = refused / stats.requests.total;
  // Busy: accepted requests per full window of the run's own, from its first accepted request.
  const ticks = stats.acceptedPerTick['gemini-3.5-flash-lite'] ?? [];
  const first = ticks.findIndex((count) => count > 0);
  const perWindow = windowMs / stats.tickMs;
  const windows: number[] = [];
  for (let start = first; start + perWindow <= ticks.length; start += perWindow)
    windows.push(ticks.slice(start, start + perWindow).reduce((sum, count) => sum + count, 0));
  const full = windows.slice(0, -1); // the last one ends with the files, not the quota
  const busy = full.reduce((sum, count) => sum + count, 0) / full.length / quota;
  t.diagnostic(
    `429s ${refused} of ${stats.requests.total} (${(share * 100).toFixed(2)} %); busy ${busy.toFixed(3)} over ${full.length} windows: ${full.join(', ')}`,
  );
  assert.ok(share <= 0.02, `429 share ${(share * 100).toFixed(2)} % (${refused} of ${stats.requests.total})`);
  assert.ok(busy >= 0.9, `quota busy ${busy.toFixed(2)} over ${full.length} windows: ${full.join(', ')}`);
  assert.ok(Math.max(...windows) <= quota, 'no window passed the quota');
  assert.match(
    result.stderr,
    /Google's 429s stated gemini-3\.5-flash-lite's limit: 120 requests a minute for this project; --rpm gemini-3\.5-flash-lite=120 starts there next time/,
  );
});
