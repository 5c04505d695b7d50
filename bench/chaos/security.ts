/**
 * Security checks: a recognisable API key must appear in no output, log, results file, state
 * file or error message; whatever docpool starts listens on loopback only; CSV cells a
 * spreadsheet would run as formulas are neutralised.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generateCorpus } from '../../src/corpus/generate.ts';
import { renderPdf } from '../../src/corpus/render.ts';
import type { GroundTruth } from '../../src/corpus/truth.ts';
import { startEmulator } from '../../src/emulator/server.ts';
import { readManifest } from '../../test/helpers/run-fixture.ts';
import { type CliRun, docpool, scratch, UNLIMITED } from '../harness.ts';
import { Checks, DESIGN_ROWS, removeScratch, type ScenarioReport } from './checks.ts';

const CANARY = 'AIzaSyChaosCanary0123456789abcdefXYZ';

/** Every file under a folder, for a byte search (LMDB files included). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

/** Local addresses of the TCP sockets a process is listening on (from /proc: its socket inodes, matched in net/tcp{,6}). */
function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // closed while we looked
    }
  }
  const addresses: string[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      if (columns[3] === '0A' && inodes.has(columns[9] ?? '')) addresses.push(decodeAddress(columns[1]!));
    }
  }
  return addresses;
}

function decodeAddress(hex: string): string {
  const [address, port] = hex.split(':') as [string, string];
  if (address.length === 8)
    return `${address
      .match(/../g)!
      .reverse()
      .map((byte) => parseInt(byte, 16))
      .join('.')}:${parseInt(port, 16)}`;
  return `[${address}]:${parseInt(port, 16)}`;
}

const isLoopback = (address: string) => address.startsWith('127.') || address.startsWith('[00000000000000000000000001000000]');

/** Samples a child's listening sockets a few times while it runs, then stops it. */
function watchListeners(seen: string[], stopAfterMs: number) {
  return (child: ChildProcess) => {
    const timer = setInterval(() => {
      try {
        seen.push(...listeningAddresses(child.pid ?? 0));
      } catch {
        clearInterval(timer);
      }
    }, 250);
    setTimeout(() => {
      clearInterval(timer);
      child.kill('SIGINT');
    }, stopAfterMs);
  };
}

/** A tiny RFC 4180 reader: enough to see each cell as a spreadsheet would. */
function csvCells(text: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') ((cell += '"'), index++);
      else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',' || char === '\n') (cells.push(cell.replace(/\r$/, '')), (cell = ''));
    else cell += char;
  }
  return cells;
}

export async function securityChecks(): Promise<ScenarioReport> {
  const started = performance.now();
  const checks = new Checks('security');
  const work = scratch('security');
  const corpus = join(work, 'corpus');
  await generateCorpus({ dir: corpus, count: 60, seed: 61, maxPages: 2, damagedRate: 0.1 });
  // Invoices whose printed fields are formulas, as a hostile supplier could send.
  const invoice = readManifest(corpus).find((entry) => entry.class === 'vendor_invoice' && !entry.damaged)!;
  const hostile = ['=HYPERLINK("http://evil.example","pay")', '+SUM(1+1)', '-2+3', '@cmd|"/c calc"!A0'];
  mkdirSync(join(corpus, 'hostile'));
  hostile.forEach((value, index) => {
    const truth: GroundTruth = { class: 'vendor_invoice', lang: 'en', fields: { ...invoice.fields, vendor_name: value, invoice_number: value } };
    writeFileSync(join(corpus, 'hostile', `formula-${index}.pdf`), renderPdf([[`Invoice from ${value}`]], { imageOnly: false, truth, producer: 'chaos' }));
  });
  const emulator = await startEmulator({ defaultLatency: { medianMs: 20, sigma: 0 }, latency: {}, acceptedKeys: [CANARY] });
  try {
    const db = join(work, 'db');
    const listeners: string[] = [];
    const runs: CliRun[] = [];
    const env = { GEMINI_API_KEY: CANARY, GOOGLE_API_KEY: '' };
    const args = (out: string, ...extra: string[]) => [
      'run',
      corpus,
      '-o',
      join(work, out),
      '--db',
      db,
      '--base-url',
      emulator.url,
      '--no-tui',
      ...UNLIMITED,
      ...extra,
    ];
    runs.push(await docpool(args('out.csv'), env, { onSpawn: watchListeners(listeners, 60_000) }));
    runs.push(await docpool(args('again.jsonl', '--retry-failed'), { GEMINI_API_KEY: '', GOOGLE_API_KEY: CANARY }));
    // Error paths: a refused key (as GOOGLE_API_KEY too), an unreachable endpoint, a timeout.
    runs.push(await docpool(args('refused.jsonl'), { GEMINI_API_KEY: `${CANARY}-revoked`, GOOGLE_API_KEY: '' }));
    runs.push(await docpool([...args('unreachable.jsonl', '--max-attempts', '2', '--retry-base-ms', '10'), '--base-url', 'http://127.0.0.1:9'], env));
    const status = await docpool(['status', '--db', db, '--json'], env);
    runs.push(status);
    // The run that answered the hostile invoices (the unreachable endpoint's run is a run of its own).
    const answered = (JSON.parse(status.stdout) as { runs: Array<{ id: string; done: number }> }).runs.sort((a, b) => b.done - a.done)[0]!.id;
    runs.push(await docpool(['export', '-o', join(work, 'export.csv'), '--db', db, '--run', answered], env));
    const outputs = runs.flatMap((run) => [run.stdout, run.stderr]);
    const leakedIn = [
      ...outputs.filter((text) => text.includes(CANARY)).map(() => 'a process output'),
      ...filesUnder(work).filter((path) => readFileSync(path).includes(CANARY)),
    ];
    checks.that('the API key appears in no output, results, export, log or LMDB file', leakedIn.length === 0, leakedIn.join(', '));

    const demoListeners: string[] = [];
    const emulatorListeners: string[] = [];
    await docpool(['demo', '--no-tui'], env, { cwd: work, onSpawn: watchListeners(demoListeners, 8000), killAfterMs: 60_000 });
    await docpool(['emulator', '--port', '0'], env, { onSpawn: watchListeners(emulatorListeners, 4000), killAfterMs: 30_000 });
    const everyListener = [...new Set([...listeners, ...demoListeners, ...emulatorListeners])];
    checks.that('docpool run opens no listening socket', listeners.length === 0, listeners.join(', '));
    checks.that(
      'the demo and `docpool emulator` listen on loopback only',
      demoListeners.length > 0 && emulatorListeners.length > 0 && everyListener.every(isLoopback),
      `demo: ${[...new Set(demoListeners)].join(', ') || 'none seen'}; emulator: ${[...new Set(emulatorListeners)].join(', ') || 'none seen'}`,
    );

    const cells = [...csvCells(readFileSync(join(work, 'out.csv'), 'utf8')), ...csvCells(readFileSync(join(work, 'export.csv'), 'utf8'))];
    const live = cells.filter((cell) => /^[=+\-@\t\r]/.test(cell));
    const neutralised = cells.filter((cell) => hostile.some((value) => cell === `'${value}`)).length;
    checks.that('no CSV cell starts with = + - @ (results and export)', live.length === 0, live.slice(0, 3).join(' | '));
    checks.that('the hostile values are kept, prefixed with an apostrophe', neutralised >= hostile.length * 2, `${neutralised} neutralised cells`);
    return {
      scenario: 'security',
      rows: [DESIGN_ROWS.csv],
      figures: {
        'runs and commands checked for the key': runs.length + 2,
        'files searched for the key': filesUnder(work).length,
        'key leaks': leakedIn.length,
        'listening sockets seen': everyListener.join(', ') || 'none',
        'formula cells neutralised': neutralised,
      },
      checks: checks.results,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await emulator.close();
    removeScratch(work);
  }
}
