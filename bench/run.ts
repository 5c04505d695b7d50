/**
 * `npm run bench [-- --quick]`: every figure measured in this run, against baselines and
 * emulator stats from the same run. Writes bench/results/<timestamp>.json and prints the
 * Markdown tables the README shows.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { realCorpusAccuracy, percent } from './offline-accuracy.ts';
import { generateCorpus } from '../src/corpus/generate.ts';
import { killAndResume, latencyBound, quotaUtilisation } from './api-scenarios.ts';
import { race } from './race.ts';
import { queueScaling } from './queue-scaling.ts';
import { cacheRerun } from './cache-rerun.ts';
import { eInvoicePath } from './einvoice-path.ts';
import { mixedInput } from './mixed-input.ts';
import { bundles } from './bundles.ts';
import { measureChecks } from './checked-answers.ts';
import { startEmulator } from '../src/emulator/server.ts';
import { dashboardLoad } from './dashboard-load.ts';
import { emulatorThroughput } from './emulator-throughput.ts';
import { round, scratch } from './harness.ts';
import { prepareScaling } from './prepare-scaling.ts';
import { scaleRun } from './scale.ts';
import { count } from '../src/main/progress/numbers.ts';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const quick = process.argv.includes('--quick');
const sizes = quick
  ? { race: 300, raceCapMs: 20_000, quota: 400, cpu: 300, rerun: 1000, scale: [1000, 5000] }
  : { race: 4000, raceCapMs: 90_000, quota: 700, cpu: 1000, rerun: 5000, scale: [5000, 50000] };
const share = (part: number, whole: number) => `${((100 * part) / Math.max(1, whole)).toFixed(1)} %`;
const log = (text: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${text}\n`);
const corpora = scratch('corpora');
const corpus = async (name: string, count: number, extra: object = {}) => {
  const dir = join(corpora, name);
  await generateCorpus({ dir, count, seed: 1, maxPages: 8, ...extra });
  return dir;
};

try {
  const started = performance.now();
  log('the race');
  const raced = await race(await corpus('race', sizes.race, { damagedRate: 0, maxPages: 3 }), sizes.raceCapMs);
  log('quota utilisation');
  const quota = await quotaUtilisation(await corpus('quota', sizes.quota, { damagedRate: 0, maxPages: 3 }), 100);
  log('latency-bound');
  const latency = await latencyBound(await corpus('latency', 300, { damagedRate: 0, maxPages: 2 }), 16, 200);
  log('CPU prepare scaling');
  const scaling = await prepareScaling(await corpus('cpu', sizes.cpu, { maxPages: 60 }));
  log('cache re-run');
  const rerun = await cacheRerun(await corpus('rerun', sizes.rerun, { maxPages: 4 }), sizes.rerun);
  log('scale');
  const scaleSource = await corpus('scale', 500, { maxPages: 3 });
  const scale = [];
  for (const files of sizes.scale) scale.push(await scaleRun(scaleSource, files));
  log('dashboard under load');
  const dashboard = await dashboardLoad(scaleSource, quick ? 3000 : 10_000, quick ? 1 : 3);
  log('kill and resume');
  const kill = await killAndResume(await corpus('kill', 400), 24);
  log('queue scaling');
  const queueFiles = quick ? 300 : 2000;
  const queued = await queueScaling(await corpus('queue', queueFiles, { damagedRate: 0, maxPages: 3 }), queueFiles);
  log('the e-invoice path');
  const eInvoiceFiles = quick ? 300 : 1000;
  const eInvoices = await eInvoicePath(await corpus('einvoice', eInvoiceFiles, { damagedRate: 0, maxPages: 3, eInvoiceRate: 0.9 }));
  log('checked answers');
  const checkedFiles = quick ? 500 : 2000;
  const checkedCorpus = await corpus('checked', checkedFiles, { damagedRate: 0, maxPages: 2, seed: 28 });
  const misreading = await startEmulator({ defaultLatency: { medianMs: 0, sigma: 0 }, latency: {}, misread: { rate: 0.05 } });
  const checked = await measureChecks(checkedCorpus, scratch('checked'), misreading.url, async () => misreading.stats().requests.total).finally(() =>
    misreading.close(),
  );
  log('mixed input');
  const mixedDocuments = quick ? 400 : 2000;
  const mixed = await mixedInput(mixedDocuments);
  log('bundles');
  const bundleDocuments = quick ? 400 : 2000;
  const bundled = await bundles(bundleDocuments);
  log('emulator throughput');
  const throughput = await emulatorThroughput(quick ? 2 : 5);
  const sharedCorpus = fileURLToPath(new URL('../../shared/corpus', import.meta.url));
  const accuracy = existsSync(sharedCorpus) ? await realCorpusAccuracy(sharedCorpus) : undefined;

  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}`;
  const date = new Date().toISOString();
  const [small, large] = scale;
  const tables = [
    `Bench ${quick ? '(quick) ' : ''}of ${date.slice(0, 10)} on ${machine}; ${Math.round((performance.now() - started) / 1000)} s.`,
    '',
    `**1. The race**: ${count(sizes.race)} generated files, tier-1 quotas as the emulator plays a new project (3.5 Flash-Lite 1,000, 3.8 Flash 150 requests per window; Google publishes none, and docpool is told none: it learns them from the first 429) and latencies at 1/6 time scale (a 10 s window; Flex answers in ~10 s, Google's 1 min scaled), the emulator in a process of its own, a fresh one per row. Run time is docpool's own summary (its process start-up apart); the seed designs run warm in the bench process, capped at ${sizes.raceCapMs / 1000} s. Quota limit = window × max over models of max(requests needed ÷ RPM, input tokens ÷ TPM): the fastest any client could finish these calls, not counting the latency of the first and the last answers (about 7 s here, which no client avoids).`,
    '',
    '| design | files | run s | start-up s | files/s | requests sent | answered | 429s | 429 share | cost $ | quota limit s | ÷ limit | binding quota busy | peak RSS MB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...raced.map(
      (row) =>
        `| ${row.design}${row.capped ? ` (first ${sizes.raceCapMs / 1000} s)` : ''} | ${row.files} | ${row.runSeconds} | ${row.startupSeconds ?? '-'} | ${row.filesPerSecond} | ${row.requestsSent} | ${row.answered} | ${row.refused} | ${row.refusedShare} | ${row.costUsd} | ${row.quotaLimitSeconds} | ${row.ofQuotaLimit} | ${row.quotaBusy} | ${row.peakRssMb ?? '-'} |`,
    ),
    '',
    '**2. Quota utilisation**: classification only, RPM 100 per 3 s window, steady windows.',
    '',
    '| setup | accepted per window | ÷ RPM | share of requests answered 429 | goal |',
    '|---|---:|---:|---:|---|',
    ...quota.map((row) => `| ${row.setup} | ${row.acceptedPerWindow} | ${row.utilisation} | ${row.rateLimitedShare} | ${row.goal} |`),
    '',
    '| **3. Latency-bound** | concurrency | latency ms | files/s | ÷ (C / L) | goal |',
    '|---|---:|---:|---:|---:|---|',
    `| quota out of the way | ${latency.concurrency} | ${latency.latencyMs} | ${latency.filesPerSecond} | ${latency.ratio} | >= 0.9 |`,
    '',
    `**4. CPU prepare scaling**: ${sizes.cpu} generated files, first 5 pages each.`,
    '',
    '| setup | pages/s | × single thread | goal |',
    '|---|---:|---:|---|',
    ...scaling.map((row) => `| ${row.setup} | ${row.pagesPerSecond} | ${row.ratioToSingleThread.toFixed(2)} | ${row.goal} |`),
    '',
    '| **5. Cache re-run** | files | files/s | API calls | files re-read | goal |',
    '|---|---:|---:|---:|---:|---|',
    `| unchanged corpus, same command | ${rerun.files} | ${rerun.rerunFilesPerSecond} | ${rerun.rerunApiCalls} | ${rerun.rerunFilesRead} | >= 5000 files/s, 0, 0 |`,
    '',
    '| **6. Scale** (offline provider, hard-linked files) | files | files/s | peak RSS MB | of it anonymous, peak MB | event loop p99 ms | goal |',
    '|---|---:|---:|---:|---:|---:|---|',
    ...scale.map((row) => `| | ${row.files} | ${row.filesPerSecond} | ${row.peakRssMb} | ${row.peakAnonMb} | ${row.eventLoopP99Ms} | |`),
    `| ratio large ÷ small | | | ${small && large ? (large.peakRssMb / small.peakRssMb).toFixed(2) : '-'} | ${small && large ? (large.peakAnonMb / small.peakAnonMb).toFixed(2) : '-'} | | <= 1.2; p99 <= 20 ms |`,
    '',
    `**7. Dashboard under load**: ${count(dashboard[0]?.files ?? 0)} files (hard links to 500 generated ones: ~500 requests per step, the rest answered in-run from the same content), Gemini path against the emulator in its own process at 1/50 time scale, in a 120×40 pseudo-terminal; dashboard on and off alternately, ${dashboard[0]?.eventLoopP99Ms.length ?? 0} runs each. Event-loop delay is the p99 of how late a 10 ms timer fired (the sampler's own 10 ms not counted).`,
    '',
    '| dashboard | files/s | event loop p99 ms, each run | median | goal |',
    '|---|---:|---:|---:|---|',
    ...dashboard.map(
      (row) =>
        `| ${row.dashboard} | ${row.filesPerSecond} | ${row.eventLoopP99Ms.join(', ')} | ${row.medianP99Ms} | ${row.dashboard === 'on' ? '<= 20 ms' : ''} |`,
    ),
    '',
    '| **8. Kill and resume** | in-flight window | calls needed | calls made | repeated ÷ window | goal |',
    '|---|---:|---:|---:|---:|---|',
    `| SIGKILL at 3 s, then re-run | ${kill.window} | ${kill.callsNeeded} | ${kill.callsMade} | ${kill.repeatedPerWindow} | <= 1 |`,
    '',
    `**9. More than one machine, on one**: ${count(queueFiles)} generated files, one request each (\`--passes 1\`), coordinator \`run --queue --no-local\` and 1, 2, 3 \`docpool worker\` processes of one thread each, a real redis-server, the emulator in its own process with flash at ${'400'} requests per 3 s window shared by all workers (in Redis). Busiest window: the most accepted requests any sliding 3 s held ÷ the quota. Redis per file: commands processed and bytes in and out (Redis INFO), for the queue, the shared quota and the heartbeats together.`,
    '',
    '| worker processes | files/s | busiest window ÷ quota | 429 share | Redis commands per file | Redis bytes per file | goal |',
    '|---:|---:|---:|---:|---:|---:|---|',
    ...queued.map(
      (row) =>
        `| ${row.workers} | ${row.filesPerSecond} | ${row.busiestOfQuota} | ${row.refusedShare} | ${row.redisCommandsPerFile} | ${count(row.redisBytesPerFile)} | ${row.workers === 1 ? '<= 1.0 busiest, <= 1% 429s' : ''} |`,
    ),
    '',
    `**10. The e-invoice path**: ${count(eInvoiceFiles)} generated files in English, German and French, 90 % of the intact text invoices Factur-X (their CII XML attached), default settings (two passes), answers taking ~0.5 s, quotas out of the way; the same folder without the path (\`--e-invoice ignore\`) and with it (the default), each on a fresh state folder.`,
    '',
    '| --e-invoice | files | of them e-invoices | requests | cost $ | run s | e-invoice fields equal to truth |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...eInvoices.map(
      (row) =>
        `| ${row.eInvoice} | ${count(row.files)} | ${count(row.eInvoices)} | ${count(row.requests)} | ${row.costUsd} | ${row.runSeconds} | ${row.eInvoiceFieldsExact} |`,
    ),
    ...(eInvoices.length === 2
      ? [
          `| with ÷ without | | | ${round(eInvoices[1]!.requests / eInvoices[0]!.requests)} | ${round(eInvoices[1]!.costUsd / eInvoices[0]!.costUsd)} | ${round(eInvoices[1]!.runSeconds / eInvoices[0]!.runSeconds)} | |`,
        ]
      : []),
    '',
    `**11. Checked answers**: ${count(checkedFiles)} generated files, the emulator misreading 5 % of answers (digits of an amount swapped, the subtotal given as the total, a year off by one, a line item dropped; decided by its seed, the model and the request), one pass; the same command with second opinions on the same state folder. Truth is the generator's.`,
    '',
    '| figure | value | goal |',
    '|---|---:|---|',
    `| extract-class answers / misread | ${count(checked.answers)} / ${count(checked.misread)} | |`,
    `| misreads a check relates (sums, line products, date order) flagged | ${checked.relatedFlagged} of ${checked.relatedMisread} (${share(checked.relatedFlagged, checked.relatedMisread)}) | >= 90 % |`,
    `| other misreads flagged (a receipt's total or date: nothing to check them against) | ${checked.flaggedMisread - checked.relatedFlagged} of ${checked.misread - checked.relatedMisread} | |`,
    `| correct answers flagged | ${checked.correctFlagged} of ${count(checked.correct)} (${share(checked.correctFlagged, checked.correct)}) | <= 2 % |`,
    `| flagged misreads right after a second opinion | ${checked.recovered} of ${checked.flaggedMisread} (${share(checked.recovered, checked.flaggedMisread)}) | >= 80 % |`,
    `| second opinions asked; their cost | ${checked.secondOpinions}; $${checked.extraUsd} on top of $${checked.firstRunUsd} (${share(checked.extraUsd, checked.firstRunUsd)}) | |`,
    '',
    `**12. Photos, scans, mails and archives**: ${count(mixedDocuments)} generated documents of up to 3 pages, once all PDFs, once with 40 % written as phone photos (JPEG with EXIF orientation), PNGs and multi-page TIFF scans and 30 % delivered in .eml and .msg mails and ZIP exports (the same documents: same seed); answers taking ~0.2 s, quotas out of the way, each on a fresh state folder.`,
    '',
    '| folder | documents | files | images | in mails/ZIPs | requests | run s | peak RSS MB | class and fields right | goal |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...mixed.map(
      (row) =>
        `| ${row.folder} | ${count(row.documents)} | ${count(row.files)} | ${count(row.images)} | ${count(row.inContainers)} | ${count(row.requests)} | ${row.runSeconds} | ${row.peakRssMb} | ${count(row.right)} | |`,
    ),
    `| mixed ÷ all PDF | | | | | ${round(mixed[1]!.requests / mixed[0]!.requests)} | ${round(mixed[1]!.runSeconds / mixed[0]!.runSeconds)} | ${round(mixed[1]!.peakRssMb / mixed[0]!.peakRssMb)} | | peak RSS <= 1.2 |`,
    '',
    `**13. Bundles**: ${count(bundleDocuments)} generated documents of up to 3 pages, once each in a file of its own, once with 60 % of the receipts, invoices and expense reports gathered into bundles (4–8 receipts, 3–5 invoices, an expense report and its receipts; 30 % scanned) — the same documents (same seed); answers taking ~0.2 s, each on a fresh state folder.`,
    '',
    '| folder | documents | files | in bundles | pages found exactly | requests | run s | peak RSS MB | class and fields right | goal |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...bundled.map(
      (row) =>
        `| ${row.folder} | ${count(row.documents)} | ${count(row.files)} | ${count(row.bundled)} | ${count(row.rangesExact)} | ${count(row.requests)} | ${row.runSeconds} | ${row.peakRssMb} | ${count(row.right)} | |`,
    ),
    `| bundled ÷ apart | | | | ${share(bundled[1]!.rangesExact, bundled[1]!.bundled)} | ${round(bundled[1]!.requests / bundled[0]!.requests)} | ${round(bundled[1]!.runSeconds / bundled[0]!.runSeconds)} | ${round(bundled[1]!.peakRssMb / bundled[0]!.peakRssMb)} | | pages found >= 95 % |`,
    '',
    '| **Emulator** | requests/s | failed | goal |',
    '|---|---:|---:|---|',
    `| small requests, zero latency, 64 connections from a second process | ${throughput.requestsPerSecond} | ${throughput.failed} | >= 2000 |`,
    ...(accuracy
      ? [
          '',
          '| **Offline provider** on the real-PDF set | invoice-like | invoice number | date | total |',
          '|---|---|---|---|---|',
          `| exact match | ${percent(accuracy.invoiceLike)} | ${percent(accuracy.invoiceNumber)} | ${percent(accuracy.invoiceDate)} | ${percent(accuracy.total)} |`,
        ]
      : []),
  ].join('\n');
  const results = new URL('./results/', import.meta.url);
  mkdirSync(results, { recursive: true });
  writeFileSync(
    new URL(`${date.replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`, results),
    `${JSON.stringify({ date, machine, quick, sizes, raced, quota, latency, scaling, rerun, scale, dashboard, kill, queued, eInvoices, checked, mixed, bundled, throughput, accuracy }, null, 2)}\n`,
  );
  writeFileSync(new URL('latest.md', results), `${tables}\n`);
  process.stdout.write(`${tables}\n`);
} finally {
  rmSync(corpora, { recursive: true, force: true });
}
