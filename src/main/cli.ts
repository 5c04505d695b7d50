#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { generateCorpus } from '../corpus/generate.ts';
import { startEmulator } from '../emulator/server.ts';
import { CONFIG_FILE, DEFAULTS } from './config/defaults.ts';
import {
  parseMediaResolutions,
  parseMilliseconds,
  parseModelNumbers,
  parsePort,
  parsePrices,
  parsePositiveNumber,
  parseShare,
  parseWholeNumber,
  readJsonFile,
} from './config/parsers.ts';
import { type ConfigInput, loadConfig } from './config/schema.ts';
import { runDemo } from './commands/demo.ts';
import { EXIT, UsageError } from './errors.ts';
import { estimate, formatEstimate } from './commands/estimate.ts';
import { writeReview } from './commands/review.ts';
import { belowFloors, evalRun, formatEval, parseMinAccuracy } from './commands/eval.ts';
import { writeSample } from './commands/sample.ts';
import { loadProfile } from './profiles/profile.ts';
import { exportRun } from './commands/export.ts';
import { runCommand } from './commands/run.ts';
import { formatStatus, readStateStatus } from './commands/status.ts';
import { openExistingStore } from './commands/existing-state.ts';
import { writeReport } from './commands/report.ts';
import { type Tier, TIERS } from './models/catalogue.ts';
import { formatModels, listModels } from './commands/models.ts';
import { runWorker } from './commands/worker.ts';
import { DEFAULT_LOCK_MS, DEFAULT_QUEUE } from './queue/file-job.ts';
import { parseQueueUrl } from './queue/redis-connection.ts';

const program = new Command('docpool')
  .description('Classify and extract tens of thousands of PDFs through Google Gemini, fast, cheaply, without losing work.')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

/** Options shared by the commands that read PDFs. */
function withPdfOptions(command: Command): Command {
  return command
    .option('--config <file>', `config file (default: ./${CONFIG_FILE} if present)`)
    .option('--pages <n>', `pages sent for classification (default ${DEFAULTS.pages})`, (value) => parseWholeNumber('--pages', value))
    .option('--workers <n>', 'worker threads (default: available cores)', (value) => parseWholeNumber('--workers', value))
    .option('--max-file-mb <n>', `files above this size fail with FILE_TOO_LARGE (default ${DEFAULTS.maxFileMb})`, (value) =>
      parseWholeNumber('--max-file-mb', value),
    )
    .option('--include <glob...>', `file globs under each folder (default: ${DEFAULTS.include.join(' ')})`)
    .addOption(
      new Option(
        '--split <mode>',
        `auto: a file of more than --split-pages pages may hold several documents, each found and answered on its own pages; off: every file is one document (default ${DEFAULTS.split})`,
      ).choices(['auto', 'off']),
    )
    .option('--split-pages <n>', `files of more pages than this are looked at for several documents (default ${DEFAULTS.splitPages})`, (value) =>
      parseWholeNumber('--split-pages', value),
    )
    .addOption(new Option('--tier <tier>', `published rate-limit tier used for defaults (default ${DEFAULTS.tier})`).choices(TIERS as string[]))
    .option('--classify-model <model>', `classification model (default ${DEFAULTS.classifyModel}; see docpool models)`)
    .option('--extract-model <model>', `extraction model (default ${DEFAULTS.extractModel})`)
    .option(
      '--media-resolution <step=res,...>',
      `how finely Gemini 3 reads each step's pages: low (280 tokens a page), medium (560), high (1120) (default ${Object.entries(DEFAULTS.mediaResolution)
        .map(([step, resolution]) => `${step}=${resolution}`)
        .join(',')})`,
      (value) => parseMediaResolutions('--media-resolution', value),
    )
    .option('--rpm <model=n,...>', 'per-model requests-per-minute overrides', (value) => parseModelNumbers('--rpm', value))
    .option('--tpm <model=n,...>', 'per-model input-tokens-per-minute overrides', (value) => parseModelNumbers('--tpm', value))
    .option('--price <model=in/out,...>', 'per-model prices, USD per 1M input/output tokens (for a model docpool has no price for)', (value) =>
      parsePrices('--price', value),
    );
}

interface QueueFlags {
  readonly queue?: string;
  readonly queueName?: string;
  readonly lockMs?: number;
}

interface PdfFlags extends ConfigInput {
  readonly config?: string;
}

function configFrom(flags: PdfFlags) {
  const { config: configPath, ...rest } = flags;
  return loadConfig(rest, configPath);
}

withPdfOptions(program.command('estimate').argument('<path...>', 'PDF files or folders (recursive)'))
  .description('files, pages, tokens, cost and time at the configured quota, with no API call')
  .option('--json', 'print one JSON object instead of the report')
  .action(async (paths: string[], flags: PdfFlags & { json?: boolean }) => {
    const { json, ...rest } = flags;
    const report = await estimate(paths, configFrom(rest));
    process.stdout.write(json ? `${JSON.stringify(report)}\n` : `${formatEstimate(report)}\n`);
  });

withPdfOptions(program.command('run').argument('<path...>', 'PDF files or folders (recursive)'))
  .description('classify every PDF and extract fields from the classes that matter; one record per file')
  .option('-o, --out <file>', `results file, .jsonl, .csv or .xlsx (default ${DEFAULTS.out})`)
  .option('--db <dir>', `LMDB state folder: cache and resume state (default ${DEFAULTS.db})`)
  .option('--profile <name|file>', `label set, prompts and extraction schemas (default ${DEFAULTS.profile})`)
  .addOption(new Option('--provider <provider>', 'gemini (default when GEMINI_API_KEY or GOOGLE_API_KEY is set) or offline').choices(['gemini', 'offline']))
  .addOption(new Option('--fallback <provider>', 'answer files whose API calls failed for good with the offline rules').choices(['offline']))
  .option('--base-url <url>', 'Gemini endpoint, e.g. the local emulator (GOOGLE_GEMINI_BASE_URL is honoured too)')
  .addOption(
    new Option('--input-mode <mode>', `send the first pages as pdf, as text, or auto (default ${DEFAULTS.inputMode})`).choices(['pdf', 'text', 'auto']),
  )
  .addOption(
    new Option(
      '--passes <n>',
      `requests per file: 2 = classify then extract, 1 = both in one request, auto = one, then a second for the profile's secondPass classes and a second opinion for an answer that fails a check (default ${DEFAULTS.passes})`,
    ).choices(['1', '2', 'auto']),
  )
  .addOption(
    new Option(
      '--e-invoice <mode>',
      `prefer: a Factur-X/ZUGFeRD/XRechnung/UBL e-invoice answers from its XML, asking nobody; verify: from its XML, and the model is asked too, to show where it disagrees; ignore: the model reads it like any file (default ${DEFAULTS.eInvoice})`,
    ).choices(['prefer', 'verify', 'ignore']),
  )
  .option('--escalate', 'ask a Gemini answer that fails a check once more, keeping the answer that passes (default: on with --passes auto)')
  .option('--no-escalate', 'never ask a second opinion')
  .option('--escalate-model <model>', 'the model a second opinion is asked on (default: the extraction model)')
  .option('--review-below <confidence>', `flag an answer whose class confidence is below this for review, 0 to 1 (default ${DEFAULTS.reviewBelow})`, (value) =>
    parseShare('--review-below', value),
  )
  .option('--concurrency <model=n,...>', 'per-model ceilings on requests in flight', (value) => parseModelNumbers('--concurrency', value))
  .option('--quota-window-ms <ms>', 'quota window length: 60000 for Google; 60000 × f against an emulator at --time-scale f', (value) =>
    parseMilliseconds('--quota-window-ms', value),
  )
  .option(
    '--request-timeout-ms <ms>',
    `deadline per API request (default ${DEFAULTS.requestTimeoutMs.standard}; ${DEFAULTS.requestTimeoutMs.flex} with flex)`,
    (value) => parseMilliseconds('--request-timeout-ms', value),
  )
  .option('--max-attempts <n>', `attempts per request for 5xx, timeouts, resets (default ${DEFAULTS.maxAttempts})`, (value) =>
    parseWholeNumber('--max-attempts', value),
  )
  .option('--retry-base-ms <ms>', `first backoff step; full jitter, doubling (default ${DEFAULTS.retryBaseMs})`, (value) =>
    parseMilliseconds('--retry-base-ms', value),
  )
  .addOption(
    new Option('--service-tier <tier>', `standard, flex (half price, minutes of latency, may be shed) or priority (default ${DEFAULTS.serviceTier})`).choices([
      'standard',
      'flex',
      'priority',
    ]),
  )
  .option('--max-inflight-mb <n>', `MB of PDF pages held for requests in flight, the bound on memory (default ${DEFAULTS.maxInflightMb})`, (value) =>
    parsePositiveNumber('--max-inflight-mb', value),
  )
  .option('--max-inline-mb <n>', `largest inline request, MB (default ${DEFAULTS.maxInlineMb}, the API limit since 2026-01-12)`, (value) =>
    parsePositiveNumber('--max-inline-mb', value),
  )
  .option('--window <n>', 'files in flight at once (default: enough to keep workers and API slots busy)', (value) => parseWholeNumber('--window', value))
  .option('--retry-failed', 'also redo files that failed permanently last time')
  .option('--max-cost <usd>', 'stop admitting files before the projected spend passes this', (value) => parsePositiveNumber('--max-cost', value))
  .option('--drain-timeout-ms <ms>', `on Ctrl-C, how long in-flight files may take to finish (default ${DEFAULTS.drainTimeoutMs})`, (value) =>
    parseMilliseconds('--drain-timeout-ms', value),
  )
  .option('--batch', 'answer through the Batch API: half price, within 24 h; a stopped run leaves its jobs running and the same command collects them')
  .addOption(new Option('--batch-fallback <mode>', 'ask online (standard price) for a request that failed in --batch-attempts jobs').choices(['online']))
  .option('--batch-attempts <n>', `batch jobs one request may go through (default ${DEFAULTS.batchAttempts})`, (value) =>
    parseWholeNumber('--batch-attempts', value),
  )
  .option('--batch-size <n>', `requests per batch job at most (default ${DEFAULTS.batchSize})`, (value) => parseWholeNumber('--batch-size', value))
  .option('--batch-poll-ms <ms>', `first poll of a job after this long, then x1.5 up to 5 min (default ${DEFAULTS.batchPollMs})`, (value) =>
    parseMilliseconds('--batch-poll-ms', value),
  )
  .option('--batch-linger-ms <ms>', `submit a job once no request joined it for this long (default ${DEFAULTS.batchLingerMs})`, (value) =>
    parseMilliseconds('--batch-linger-ms', value),
  )
  .option('--cancel', 'with --batch: cancel the batch jobs this state folder still has running, then stop')
  .option('--queue <url>', 'coordinate workers on any machine through this Redis (redis://host:port, rediss:// for TLS); see docpool worker', parseQueueUrl)
  .option('--queue-name <name>', `the queue's name in Redis, for several runs on one Redis (default ${DEFAULT_QUEUE})`)
  .option('--no-local', 'with --queue: take no jobs in this process, only coordinate')
  .option(
    '--lock-ms <ms>',
    `with --queue: how long a worker's claim on a job lasts unrenewed; a killed worker's jobs go to another after about this (default ${DEFAULT_LOCK_MS})`,
    (value) => parseMilliseconds('--lock-ms', value),
  )
  .option('--no-tui', 'plain progress lines instead of the dashboard')
  .action(async (paths: string[], flags: PdfFlags & { tui?: boolean } & QueueFlags & { local?: boolean }) => {
    const { tui, queue, queueName, local, lockMs, ...rest } = flags;
    if (!queue && (queueName || local === false || lockMs)) throw new UsageError('--queue-name, --no-local and --lock-ms go with --queue redis://host:port');
    const code = await runCommand(paths, configFrom(rest), {
      env: process.env,
      stderr: process.stderr,
      tui: tui !== false,
      progressEverySeconds: 5,
      ...(queue ? { queue: { url: queue, name: queueName ?? DEFAULT_QUEUE, local: local !== false, lockMs: lockMs ?? DEFAULT_LOCK_MS } } : {}),
    });
    process.exitCode = code;
  });

program
  .command('worker')
  .description('take files from a docpool run --queue on this machine: prepare them, ask Gemini (quota shared with every worker), return the answers')
  .requiredOption('--queue <url>', "the run's Redis, redis://host:port (rediss:// for TLS)", parseQueueUrl)
  .option('--queue-name <name>', `the queue's name in Redis (default ${DEFAULT_QUEUE})`)
  .option('--workers <n>', 'worker threads (default: available cores)', (value) => parseWholeNumber('--workers', value))
  .option('--lock-ms <ms>', `how long this worker's claim on a job lasts unrenewed (default ${DEFAULT_LOCK_MS})`, (value) =>
    parseMilliseconds('--lock-ms', value),
  )
  .action(async (flags: QueueFlags & { queue: string; workers?: number }) => {
    process.exitCode = await runWorker(
      {
        url: flags.queue,
        name: flags.queueName ?? DEFAULT_QUEUE,
        lockMs: flags.lockMs ?? DEFAULT_LOCK_MS,
        ...(flags.workers ? { threads: flags.workers } : {}),
      },
      { env: process.env, stderr: process.stderr, progressEverySeconds: 5 },
    );
  });

program
  .command('models')
  .description(
    "the models your key can use (asked of Google) with docpool's facts: prices at standard, Flex and Batch, PDF page tokens, thinking control, shutdown dates, published limits",
  )
  .option('--base-url <url>', 'Gemini endpoint, e.g. the local emulator (GOOGLE_GEMINI_BASE_URL is honoured too)')
  .addOption(new Option('--tier <tier>', 'published rate-limit tier to show (default 1)').choices(TIERS as string[]))
  .option('--json', 'print one JSON object')
  .action(async (flags: { baseUrl?: string; tier?: Tier; json?: boolean }) => {
    const listing = await listModels({ env: process.env, ...(flags.baseUrl ? { baseUrl: flags.baseUrl } : {}), tier: flags.tier ?? '1' });
    process.stdout.write(flags.json ? `${JSON.stringify(listing)}\n` : `${formatModels(listing)}\n`);
  });

program
  .command('status')
  .description('what the state folder holds: runs, counts, failures by code with examples, cache size')
  .option('--db <dir>', 'LMDB state folder', '.docpool')
  .option('--json', 'print one JSON object')
  .action((flags: { db: string; json?: boolean }) => {
    const store = openExistingStore(flags.db);
    try {
      const status = readStateStatus(store, flags.db);
      process.stdout.write(flags.json ? `${JSON.stringify(status)}\n` : `${formatStatus(status)}\n`);
    } finally {
      void store.close();
    }
  });

program
  .command('export')
  .description('rebuild a results file (.jsonl, .csv or .xlsx) from the state folder alone')
  .requiredOption('-o, --out <file>', 'results file, .jsonl, .csv or .xlsx')
  .option('--db <dir>', 'LMDB state folder', '.docpool')
  .option('--run <id>', 'which run (default: the latest; see docpool status)')
  .option('--profile <name|file>', 'profile whose fields become CSV columns', 'finance')
  .option('--json', 'print what was written as JSON')
  .action(async (flags: { out: string; db: string; run?: string; profile: string; json?: boolean }) => {
    const store = openExistingStore(flags.db);
    try {
      const result = await exportRun(store, flags.out, flags.run, flags.profile);
      process.stdout.write(
        flags.json ? `${JSON.stringify({ ...result, out: flags.out })}\n` : `wrote ${result.records} records of run ${result.runId} to ${flags.out}\n`,
      );
    } finally {
      await store.close();
    }
  });

program
  .command('review')
  .description('the records a person should look at (a check failed, low confidence, a duplicate invoice), with why; to the terminal or a file')
  .option('-o, --out <file>', 'review.csv, review.xlsx or review.html (default: print them)')
  .option('--db <dir>', 'LMDB state folder', '.docpool')
  .option('--run <id>', 'which run (default: the latest; see docpool status)')
  .action(async (flags: { out?: string; db: string; run?: string }) => {
    const store = openExistingStore(flags.db);
    try {
      const result = await writeReview(store, flags.run, flags.out);
      if (result.text) process.stdout.write(`${result.text}\n`);
      process.stderr.write(`docpool: ${result.items} records of run ${result.runId} to review${flags.out ? `, written to ${flags.out}` : ''}\n`);
    } finally {
      await store.close();
    }
  });

program
  .command('eval')
  .description(
    "how many answers are right: a run's records against labels (class precision and recall, per-field accuracy, by source and model, cost per right field)",
  )
  .requiredOption(
    '--truth <labels>',
    "labels.jsonl or labels.csv (by path or sha256; class and any fields), or e-invoice: the run's own e-invoices under --e-invoice verify",
  )
  .option('--db <dir>', 'LMDB state folder', '.docpool')
  .option('--run <id>', 'which run (default: the latest; see docpool status)')
  .option('--json', 'print one JSON object instead of the tables')
  .option('--min-accuracy <field=share,...>', 'exit 1 when a field is right less often than this, e.g. total=0.95,invoice_number=0.9', parseMinAccuracy)
  .action(async (flags: { truth: string; db: string; run?: string; json?: boolean; minAccuracy?: Record<string, number> }) => {
    const store = openExistingStore(flags.db);
    try {
      const report = evalRun(store, flags.run, flags.truth);
      process.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : `${formatEval(report)}\n`);
      const below = flags.minAccuracy ? belowFloors(report, flags.minAccuracy) : [];
      for (const line of below) process.stderr.write(`docpool eval: ${line}\n`);
      process.exitCode = below.length > 0 ? EXIT.someFailed : EXIT.ok;
    } finally {
      await store.close();
    }
  });

program
  .command('sample')
  .description('a stratified sample of a run (by class, source, pages, size) as a labelling template with the current answers filled in')
  .argument('<count>', 'how many files', (value) => parseWholeNumber('<count>', value))
  .requiredOption('-o, --out <file>', 'labels.csv to write')
  .option('--db <dir>', 'LMDB state folder', '.docpool')
  .option('--run <id>', 'which run (default: the latest; see docpool status)')
  .option('--profile <name|file>', 'profile whose fields become columns', 'finance')
  .action(async (size: number, flags: { out: string; db: string; run?: string; profile: string }) => {
    const store = openExistingStore(flags.db);
    try {
      const result = await writeSample(store, flags.run, size, flags.out, loadProfile(flags.profile));
      process.stdout.write(`wrote ${result.rows} files of run ${result.runId} to ${flags.out}: correct the answers, then docpool eval --truth ${flags.out}\n`);
    } finally {
      await store.close();
    }
  });

program
  .command('report')
  .description('one self-contained HTML report of a run (charts, spend, failures, slowest files), from the state folder alone')
  .option('-o, --out <file>', 'report file', 'report.html')
  .option('--db <dir>', 'LMDB state folder', '.docpool')
  .option('--run <id>', 'which run (default: the latest; see docpool status)')
  .option('--truth <labels>', 'add an accuracy section: labels.jsonl or labels.csv, or e-invoice (as docpool eval)')
  .action(async (flags: { out: string; db: string; run?: string; truth?: string }) => {
    const report = await writeReport(flags);
    process.stdout.write(`wrote the report of run ${report.runId} (${report.files} files) to ${report.out}\n`);
  });

program
  .command('corpus')
  .description('generate a deterministic sample corpus of PDFs (and images, e-invoices) with ground truth (manifest.jsonl)')
  .argument('<dir>', 'output folder')
  .option('--count <n>', 'number of files', (value) => parseWholeNumber('--count', value), 200)
  .option('--seed <n>', 'random seed', (value) => parseWholeNumber('--seed', value), 1)
  .option('--max-pages <n>', 'upper bound on pages per file (1..500)', (value) => parseWholeNumber('--max-pages', value), 500)
  .option('--e-invoice-rate <f>', 'share of intact text invoices made Factur-X (their CII XML attached), 0 to 1 (default 0)', (value) =>
    parseShare('--e-invoice-rate', value),
  )
  .option('--image-rate <f>', 'share of intact documents of up to 3 pages written as JPEG photos, PNGs or multi-page TIFF scans, 0 to 1 (default 0)', (value) =>
    parseShare('--image-rate', value),
  )
  .option(
    '--container-rate <f>',
    'share of intact documents of up to 3 pages delivered attached to .eml or .msg mails or in ZIP exports, 0 to 1 (default 0)',
    (value) => parseShare('--container-rate', value),
  )
  .option(
    '--bundle-rate <f>',
    'share of intact receipts, invoices and expense reports gathered into bundles, several documents in one PDF (scanned or with text), 0 to 1 (default 0)',
    (value) => parseShare('--bundle-rate', value),
  )
  .action(
    async (
      dir: string,
      flags: { count: number; seed: number; maxPages: number; eInvoiceRate?: number; imageRate?: number; containerRate?: number; bundleRate?: number },
    ) => {
      const summary = await generateCorpus({
        dir,
        count: flags.count,
        seed: flags.seed,
        maxPages: flags.maxPages,
        ...(flags.eInvoiceRate === undefined ? {} : { eInvoiceRate: flags.eInvoiceRate }),
        ...(flags.imageRate === undefined ? {} : { imageRate: flags.imageRate }),
        ...(flags.containerRate === undefined ? {} : { containerRate: flags.containerRate }),
        ...(flags.bundleRate === undefined ? {} : { bundleRate: flags.bundleRate }),
      });
      process.stderr.write(
        `wrote ${summary.files} files (${summary.pages} pages, ${summary.damaged} damaged, ${(summary.bytes / 1e6).toFixed(1)} MB) to ${dir} in ${(summary.ms / 1000).toFixed(1)} s; truth in ${dir}/manifest.jsonl\n`,
      );
    },
  );

program
  .command('emulator')
  .description('start the local Gemini-compatible server (for tests, the bench, the demo; no network)')
  .option('--host <host>', 'address to bind', '127.0.0.1')
  .option('--port <n>', 'port (default: any free port)', parsePort)
  .option('--config <file>', 'emulator config JSON: latency, quota, faultRates, scriptedFaults, acceptedKeys, …')
  .option('--time-scale <f>', 'shrink latencies and quota windows together (0.1 = ten times faster)', (value) => parsePositiveNumber('--time-scale', value))
  .option('--quota <tier>', 'published quota preset: free, 1, 2, 3 or none')
  .action(async (flags: { host: string; port?: number; config?: string; timeScale?: number; quota?: string }) => {
    // An empty host makes Node listen on every interface: the emulator is for this machine unless asked otherwise.
    if (flags.host.trim() === '') throw new UsageError('--host: give an address (default 127.0.0.1); an empty one would listen on every interface');
    const fromFile = flags.config ? readJsonFile('--config', flags.config) : {};
    const emulator = await startEmulator({
      ...fromFile,
      host: flags.host,
      port: flags.port ?? 0,
      ...(flags.timeScale === undefined ? {} : { timeScale: flags.timeScale }),
      ...(flags.quota === undefined ? {} : { quota: flags.quota as never }),
    }).catch((error: unknown) => {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    });
    process.stdout.write(`${emulator.url}\n`);
    process.stderr.write(`Gemini emulator listening on ${emulator.url} (stats: ${emulator.url}/_emulator/stats). Ctrl-C stops it.\n`);
    await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
    await emulator.close();
  });

program
  .command('demo')
  .description('sample corpus + local Gemini emulator + a run with the dashboard, then a cached re-run; no key, no network')
  .option('--no-tui', 'plain progress lines instead of the dashboard')
  .option('--files <n>', 'files in the sample corpus (default 300)', (value) => parseWholeNumber('--files', value))
  .option('--time-scale <f>', 'emulator speed: 0.25 (default) runs tier-1 latency and quota four times faster', (value) =>
    parsePositiveNumber('--time-scale', value),
  )
  .action(async (flags: { tui?: boolean; files?: number; timeScale?: number }) => {
    process.exitCode = await runDemo({
      tui: flags.tui !== false,
      ...(flags.files ? { files: flags.files } : {}),
      ...(flags.timeScale ? { timeScale: flags.timeScale } : {}),
    });
  });

async function main(): Promise<number> {
  try {
    await program.parseAsync(process.argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof UsageError) {
      process.stderr.write(`docpool: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`docpool: internal error, please report it:\n${error instanceof Error ? error.stack : String(error)}\n`);
    return EXIT.bug;
  }
}

// Exit 1 means "done, some files failed" and nothing else: an error nothing caught (Node would exit
// 1 with its stack) is a bug, reported as the main path reports one, exit 70.
process.on('uncaughtException', (error) => {
  process.stderr.write(`docpool: internal error, please report it:\n${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(EXIT.bug);
});

// A closed stdout or stderr (`docpool … 2>&1 | head -1`, a log shipper that died) must not crash a
// run: what it prints is best effort; the results file and the state folder are what count.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  });
}

const code = await main();
// A worker thread stuck in a system call (a file on a stalled network mount) cannot be stopped and
// would keep the process alive after its summary: once the output is flushed, the process ends.
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    stream.write('', () => resolve());
  });
}
