/**
 * Issue 25's hostile files all at once, mixed into a folder of good ones: every good file is
 * answered, every hostile one gets its record, memory stays near the good-only run's, and Ctrl-C
 * is obeyed whenever it comes.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { doubleFlatePdf, nestedFormsPdf, textPdf } from '../../test/helpers/hostile-pdf.ts';
import { waitForLines } from '../../test/helpers/run-fixture.ts';
import { KEY_ENV, summaryOf, UNLIMITED } from '../harness.ts';
import { startEmulator } from '../../src/emulator/server.ts';
import { DESIGN_ROWS } from './checks.ts';
import { type CaseContext, type CaseResult, codeMismatches, countCodes, endedCleanly, goodFiles, runOver, verdictOf } from './matrix.ts';

const GOOD_FILES = 60;
const DRAIN_MS = 10_000;

/** Each hostile file by name, with the record it must get ('done' when it is a document docpool can answer). */
const EXPECTED: Readonly<Record<string, string>> = {
  // (and 'Rechnung-März.pdf' in Latin-1: PATH_NOT_UTF8)
  'long-line.pdf': 'done',
  'bomb.pdf': 'PDF_DECOMPRESSION_BOMB',
  'fifo.pdf': 'NOT_A_FILE',
  'evil\u001b]0;pwned\u0007.pdf': 'NOT_A_PDF',
  'invoice-at-depth.pdf': 'done',
};

async function plantHostileFiles(dir: string, good: readonly string[]): Promise<void> {
  writeFileSync(join(dir, 'long-line.pdf'), textPdf(`invoice ${'a'.repeat(1_000_000)}`));
  writeFileSync(join(dir, 'nested-forms.pdf'), nestedFormsPdf(32));
  writeFileSync(join(dir, 'bomb.pdf'), await doubleFlatePdf(600));
  execFileSync('mkfifo', [join(dir, 'fifo.pdf')]);
  writeFileSync(join(dir, 'evil\u001b]0;pwned\u0007.pdf'), 'not a pdf at all');
  copyFileSync(good[0]!, Buffer.concat([Buffer.from(`${dir}/`), Buffer.from('Rechnung-März.pdf', 'latin1')]));
  const deep = join(dir, ...Array.from({ length: 10 }, (_, level) => `${level}${'d'.repeat(199)}`));
  mkdirSync(deep, { recursive: true });
  copyFileSync(good[1]!, join(deep, 'invoice-at-depth.pdf'));
}

export async function hostileMix(context: CaseContext): Promise<CaseResult> {
  const goodOnly = context.folder('hostile-good');
  goodFiles(context, goodOnly, GOOD_FILES);
  const mixed = context.folder('hostile-mix');
  const good = goodFiles(context, mixed, GOOD_FILES);
  await plantHostileFiles(mixed, good);
  const offline = ['--provider', 'offline', '--no-tui', '--workers', '2'];
  const baseline = await runOver([goodOnly], context.folder('hostile-good-run'), offline);
  const outcome = await runOver([mixed], context.folder('hostile-mix-run'), offline);
  const baseRss = summaryOf(baseline.run).peakRssMb;
  const mixRss = summaryOf(outcome.run).peakRssMb;
  const goodAnswered = good.filter((path) => outcome.records.some((record) => record.path === path && record.status === 'done')).length;
  const stops = await stopsAtEveryMoment(context, mixed);
  return verdictOf(
    DESIGN_ROWS.damaged,
    `${GOOD_FILES} good files with every hostile file of issue 25 (regex bomb, WASM trap, decompression bomb, FIFO, escapes, Latin-1 name, 2 KB path)`,
    'every good file answered, every hostile one its own record; peak RSS within 1.5× of the good-only run; Ctrl-C obeyed within the drain deadline at any moment',
    `${countCodes(outcome.records)}; peak RSS ${mixRss} MB vs ${baseRss} MB good-only; Ctrl-C stops in ${stops.map((stop) => `${stop.seconds.toFixed(1)} s`).join(', ')}`,
    [
      endedCleanly(outcome.run, 1),
      goodAnswered === GOOD_FILES ? undefined : `${GOOD_FILES - goodAnswered} good files not answered`,
      ...codeMismatches(outcome, EXPECTED),
      // MuPDF mostly traps on the form bomb; a fresh thread sometimes grinds it to the deadline instead.
      ['PDF_ENGINE_FAULT', 'PDF_TIMEOUT'].includes(outcome.codeOf('nested-forms.pdf') ?? '')
        ? undefined
        : `nested-forms.pdf: ${outcome.codeOf('nested-forms.pdf') ?? 'no record'}`,
      // The Latin-1 name has no UTF-8 spelling to look it up by: its record is the one with this code.
      outcome.records.filter((record) => record.error?.code === 'PATH_NOT_UTF8').length === 1 ? undefined : 'the Latin-1 name has no PATH_NOT_UTF8 record',
      mixRss <= 1.5 * baseRss ? undefined : `peak RSS ${mixRss} MB is more than 1.5× the good-only ${baseRss} MB`,
      ...stops.map((stop) => stop.problem),
    ],
  );
}

/**
 * The mixed folder against a slow emulator, interrupted once after 1, 10 and 30 committed files:
 * each run ends with exit 130 before the drain deadline, whatever file the workers were on.
 */
async function stopsAtEveryMoment(context: CaseContext, mixed: string): Promise<Array<{ seconds: number; problem: string | undefined }>> {
  const emulator = await startEmulator({
    timeScale: 0.05,
    latency: { 'gemini-3.5-flash-lite': { medianMs: 8000, sigma: 0.3 }, 'gemini-3.8-flash': { medianMs: 16_000, sigma: 0.3 } },
  });
  try {
    const stops: Array<{ seconds: number; problem: string | undefined }> = [];
    for (const after of [1, 10, 30]) {
      const work = context.folder(`hostile-stop-${after}`);
      let seconds = Number.NaN;
      const interrupt = async (child: ChildProcess) => {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        await waitForLines(join(work, 'out.jsonl.partial'), after);
        const signalled = performance.now();
        child.kill('SIGINT');
        await exited;
        seconds = (performance.now() - signalled) / 1000;
      };
      const outcome = await runOver([mixed], work, ['--base-url', emulator.url, '--no-tui', '--drain-timeout-ms', String(DRAIN_MS), ...UNLIMITED], KEY_ENV, {
        onSpawn: (child) => void interrupt(child),
      });
      const late = !(seconds <= DRAIN_MS / 1000 + 5)
        ? `stopped ${seconds.toFixed(1)} s after Ctrl-C at ${after} files (drain deadline ${DRAIN_MS / 1000} s)`
        : undefined;
      stops.push({ seconds, problem: endedCleanly(outcome.run, 130) ?? late });
    }
    return stops;
  } finally {
    await emulator.close();
  }
}
