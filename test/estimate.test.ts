import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { generateCorpus, parseManifest, type ManifestEntry } from '../src/corpus/generate.ts';
import type { EstimateReport } from '../src/main/commands/estimate.ts';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';

const dir = tempDir('estimate');
let manifest: ManifestEntry[];

before(async () => {
  await generateCorpus({ dir, count: 300, seed: 11, maxPages: 80, damagedRate: 0.12 });
  manifest = parseManifest(readFileSync(join(dir, 'manifest.jsonl'), 'utf8'));
});

/** A project's limits as AI Studio shows them (Google publishes none for these models at tier 1). */
const PROJECT_LIMITS = ['--rpm', 'gemini-3.5-flash-lite=4000,gemini-3.8-flash=1000', '--tpm', 'gemini-3.5-flash-lite=4000000,gemini-3.8-flash=2000000'];

test('estimate --json counts files, pages and damaged files exactly as the manifest says', async () => {
  const result = await runCli(['estimate', dir, '--json', '--workers', '2', ...PROJECT_LIMITS]);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as EstimateReport;

  const intact = manifest.filter((entry) => entry.damaged === null);
  assert.equal(report.files, manifest.length);
  assert.equal(report.prepared, intact.length);
  assert.equal(
    report.pages,
    intact.reduce((sum, entry) => sum + entry.pages, 0),
  );
  assert.equal(
    report.windowPages,
    intact.reduce((sum, entry) => sum + Math.min(entry.pages, 5), 0),
  );

  const expectedFailures: Record<string, number> = {};
  for (const entry of manifest) if (entry.damaged) expectedFailures[entry.damaged] = (expectedFailures[entry.damaged] ?? 0) + 1;
  assert.deepEqual(report.failures, expectedFailures);
  assert.ok(Object.keys(expectedFailures).length >= 4, 'the corpus should hold several kinds of damage');

  // A scan of more than 3 pages has no page counter to read: a run shows it to the model to split (one request more, on the classification model).
  assert.equal(report.split.requests, intact.filter((entry) => entry.scanned && entry.pages > 3).length);
  assert.equal(report.classify.requests, intact.length + report.split.requests);
  // Gemini 3 bills a PDF page by media resolution: classification reads at low (280), extraction at medium (560).
  assert.ok(
    report.classify.inputTokens >= report.windowPages * 280 && report.classify.inputTokens < report.windowPages * 560,
    'classification pages at 280 tokens',
  );
  assert.ok(report.extract.inputTokens >= report.extract.requests * 560, 'extraction pages at 560 tokens');
  assert.ok(report.classify.costUsd! > 0);

  // The ways to run it, compared: one pass needs one request per readable file; Flex halves its price.
  const [two, one, flex, oneBatch, twoBatch] = report.modes;
  assert.deepEqual(
    report.modes.map((mode) => mode.mode),
    ['two-pass standard', 'one-pass standard', 'one-pass flex', 'one-pass batch', 'two-pass batch'],
  );
  assert.ok(Math.abs(oneBatch!.costUsd! - one!.costUsd! / 2) < 1e-9 && Math.abs(twoBatch!.costUsd! - two!.costUsd! / 2) < 1e-9, 'batch is half price');
  assert.equal(oneBatch!.requests, one!.requests);
  assert.ok(oneBatch!.batch && oneBatch!.minutes === 24 * 60, "batch time is Google's 24 h target, not a quota");
  assert.equal(two!.requests, report.classify.requests + report.extract.requests);
  assert.equal(two!.bindingModel, 'gemini-3.8-flash', "two passes are bound by the extraction model's smaller quota");
  assert.equal(one!.requests, intact.length + report.split.requests);
  assert.equal(one!.bindingModel, 'gemini-3.5-flash-lite');
  assert.ok(one!.minutes! < two!.minutes!, `one pass faster (${one!.minutes} vs ${two!.minutes} min)`);
  assert.ok(Math.abs(flex!.costUsd! - one!.costUsd! / 2) < 1e-9);
  assert.ok(flex!.minutes! > one!.minutes!, 'Flex pays its answer latency');
});

test('estimate with no published limit says the time is unknown instead of inventing a quota', async () => {
  const result = await runCli(['estimate', dir, '--json', '--workers', '2', '--pages', '1']);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as EstimateReport;
  assert.equal(report.extract.rpm, null, 'tier 1 publishes no limit for gemini-3.8-flash');
  assert.equal(report.totalMinutes, null);
  assert.ok(report.totalCostUsd! > 0, 'the cost is known all the same');
  const text = await runCli(['estimate', dir, '--workers', '2', '--pages', '1']);
  assert.match(text.stdout, /time unknown: no requests\/min limit is published for gemini-3\.8-flash .*--rpm gemini-3\.8-flash=n/);
});

test('estimate prints a readable report naming each failure code', async () => {
  const result = await runCli(['estimate', dir, '--workers', '1', '--pages', '2']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /files\s+300/);
  assert.match(result.stdout, /PDF_ENCRYPTED/);
  assert.match(result.stdout, /no API call was made/);
  assert.match(result.stdout, /one-pass batch .* within 24\.0 h .* --passes 1 --batch/);
});

test('bad flags and config name the option and exit 2', async () => {
  const badPages = await runCli(['estimate', dir, '--pages', 'many']);
  assert.equal(badPages.code, 2);
  assert.match(badPages.stderr, /--pages: expected a whole number above 0, got "many"/);

  const badRpm = await runCli(['estimate', dir, '--rpm', 'gemini-3.5-flash-lite']);
  assert.equal(badRpm.code, 2);
  assert.match(badRpm.stderr, /--rpm: expected model=n/);

  const configDir = tempDir('config');
  const configPath = join(configDir, 'docpool.config.json');
  writeFileSync(configPath, JSON.stringify({ pages: -3 }));
  const badConfig = await runCli(['estimate', dir, '--config', configPath]);
  assert.equal(badConfig.code, 2);
  // Named as the user wrote it: the file and its key, not a flag they never typed.
  assert.match(badConfig.stderr, /docpool\.config\.json: "pages": .*\(got -3\)/);

  const badFlag = await runCli(['run', dir, '--provider', 'offline', '--base-url', 'not a url']);
  assert.match(badFlag.stderr, /--base-url: Invalid URL \(got "not a url"\)/);

  writeFileSync(configPath, JSON.stringify({ pagez: 3 }));
  const unknownKey = await runCli(['estimate', dir, '--config', configPath]);
  assert.equal(unknownKey.code, 2);
  assert.match(unknownKey.stderr, /pagez/);
});
