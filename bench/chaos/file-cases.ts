/** Bad-input cases about the files themselves: damaged, huge, empty by the 100,000, odd kinds, locked, looping. */
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, renameSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { generateCorpus } from '../../src/corpus/generate.ts';
import { readManifest } from '../../test/helpers/run-fixture.ts';
import { EXPECTED_DAMAGE, hasSharedCorpus, READABLE_BY_MUPDF, SHARED_CORPUS } from '../../test/helpers/shared-corpus.ts';
import { summaryOf } from '../harness.ts';
import { DESIGN_ROWS } from './checks.ts';
import { type CaseContext, type CaseResult, codeMismatches, countCodes, endedCleanly, goodFiles, runOver, verdictOf } from './matrix.ts';
import { describe, sound, verify } from './verify.ts';

const DAMAGED_ROW = DESIGN_ROWS.damaged;
const PATH_ROW = DESIGN_ROWS.paths;

export async function generatedDamage(context: CaseContext): Promise<CaseResult> {
  const corpus = context.folder('damaged-corpus');
  await generateCorpus({ dir: corpus, count: 60, seed: 31, maxPages: 3, damagedRate: 1 });
  const manifest = readManifest(corpus);
  const outcome = await runOver([corpus], context.folder('damaged-run'));
  const verdict = verify(outcome.records, corpus, manifest);
  return verdictOf(DAMAGED_ROW, `${manifest.length} generated damaged files`, 'one failed record each with its own code; exit 1', countCodes(outcome.records), [
    endedCleanly(outcome.run, 1),
    sound(verdict) ? undefined : describe(verdict),
  ]);
}

export async function realDamage(context: CaseContext): Promise<CaseResult> {
  const input = 'every PDF in ../shared/corpus (16 damaged)';
  if (!hasSharedCorpus)
    return { row: DAMAGED_ROW, input, promised: 'one record per file, damaged ones coded', got: 'skipped: ../shared/corpus absent', ok: true };
  const outcome = await runOver([SHARED_CORPUS], context.folder('real-run'));
  const expected = { ...EXPECTED_DAMAGE, [READABLE_BY_MUPDF]: 'done' };
  return verdictOf(DAMAGED_ROW, input, 'one record per file; each damaged one with its own code; exit 1', countCodes(outcome.records), [
    endedCleanly(outcome.run, 1),
    outcome.duplicated.length ? `duplicates: ${outcome.duplicated.join(', ')}` : undefined,
    ...codeMismatches(outcome, expected),
  ]);
}

export async function hugeFile(context: CaseContext): Promise<CaseResult> {
  const dir = context.folder('huge');
  goodFiles(context, dir, 3);
  // 1 GiB that starts like a PDF: sparse, so making it costs nothing, and reading it would cost a lot.
  const fd = openSync(join(dir, 'huge.pdf'), 'w');
  writeSync(fd, '%PDF-1.7\n');
  closeSync(fd);
  execFileSync('truncate', ['-s', '1G', join(dir, 'huge.pdf')]);
  const outcome = await runOver([dir], context.folder('huge-run'));
  const rss = summaryOf(outcome.run).peakRssMb;
  return verdictOf(
    DAMAGED_ROW,
    'a 1 GiB file named .pdf beside 3 good ones',
    'FILE_TOO_LARGE without reading it; the others answered',
    `${countCodes(outcome.records)}; peak RSS ${rss} MB`,
    [
      endedCleanly(outcome.run, 1),
      ...codeMismatches(outcome, { 'huge.pdf': 'FILE_TOO_LARGE', 'good-0.pdf': 'done', 'good-2.pdf': 'done' }),
      rss < 700 ? undefined : `peak RSS ${rss} MB: the file was read`,
    ],
  );
}

export async function manyEmptyFiles(context: CaseContext, count: number): Promise<CaseResult> {
  const dir = context.folder('empty-files');
  for (let index = 0; index < count; index++) {
    if (index % 1000 === 0) mkdirSync(join(dir, `d${index / 1000}`));
    writeFileSync(join(dir, `d${Math.floor(index / 1000)}`, `${index}.pdf`), '');
  }
  const outcome = await runOver([dir], context.folder('empty-run'));
  const summary = summaryOf(outcome.run);
  const empty = outcome.records.filter((record) => record.error?.code === 'FILE_EMPTY').length;
  return verdictOf(
    DAMAGED_ROW,
    `a folder of ${count.toLocaleString('en-US')} empty .pdf files`,
    'FILE_EMPTY for each, memory bounded',
    `${countCodes(outcome.records)} in ${Math.round(outcome.run.wallSeconds)} s (${Math.round(summary.filesPerSecond)} files/s), peak RSS ${summary.peakRssMb} MB`,
    [
      endedCleanly(outcome.run, 1),
      empty === count ? undefined : `${empty} FILE_EMPTY records for ${count} files`,
      summary.peakRssMb < 700 ? undefined : `peak RSS ${summary.peakRssMb} MB`,
    ],
  );
}

export async function oddKinds(context: CaseContext): Promise<CaseResult> {
  const dir = context.folder('odd');
  goodFiles(context, dir, 2);
  writeFileSync(join(dir, 'page.pdf'), '<!DOCTYPE html><html><body>Your download will start shortly</body></html>');
  writeFileSync(join(dir, 'image.pdf'), Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
  writeFileSync(join(dir, 'archive.pdf'), Buffer.concat([Buffer.from('504b0304', 'hex'), Buffer.alloc(200, 7)]));
  writeFileSync(join(dir, 'notes.pdf'), 'just some text, no PDF at all\n');
  goodFiles(context, join(dir, 'folder.pdf'), 1);
  execFileSync('mkfifo', [join(dir, 'pipe.pdf')]);
  const outcome = await runOver([dir], context.folder('odd-run'));
  return verdictOf(
    DAMAGED_ROW,
    'HTML, PNG, ZIP and text named .pdf; a folder named .pdf; a named pipe named .pdf',
    'NOT_A_PDF each; the folder walked; the pipe NOT_A_FILE, never opened (no hang)',
    countCodes(outcome.records),
    [
      endedCleanly(outcome.run, 1),
      ...codeMismatches(outcome, {
        'page.pdf': 'NOT_A_PDF',
        'image.pdf': 'NOT_A_PDF',
        'archive.pdf': 'NOT_A_PDF',
        'notes.pdf': 'NOT_A_PDF',
        'pipe.pdf': 'NOT_A_FILE',
        'folder.pdf/good-0.pdf': 'done',
        'good-1.pdf': 'done',
      }),
    ],
  );
}

export async function symlinkLoops(context: CaseContext): Promise<CaseResult> {
  const dir = context.folder('links');
  goodFiles(context, join(dir, 'inner'), 2);
  symlinkSync(dir, join(dir, 'inner', 'back-to-top'));
  symlinkSync(join(dir, 'self.pdf'), join(dir, 'self.pdf'));
  symlinkSync(join(dir, 'gone.pdf'), join(dir, 'dangling.pdf'));
  const outcome = await runOver([dir], context.folder('links-run'));
  const loops = outcome.records.filter((record) => record.error?.code === 'SYMLINK_LOOP').length;
  return verdictOf(
    PATH_ROW,
    'a link to an ancestor folder, a self-link, a dangling link',
    'SYMLINK_LOOP ×2, PATH_NOT_FOUND; the walk ends',
    countCodes(outcome.records),
    [
      endedCleanly(outcome.run, 1),
      loops === 2 ? undefined : `${loops} SYMLINK_LOOP records`,
      ...codeMismatches(outcome, { 'dangling.pdf': 'PATH_NOT_FOUND', 'inner/good-0.pdf': 'done', 'inner/good-1.pdf': 'done' }),
    ],
  );
}

/** Root reads everything, so when the suite runs as root this case runs docpool as `nobody`. */
export async function unreadablePaths(context: CaseContext): Promise<CaseResult> {
  const dir = context.folder('locked');
  goodFiles(context, dir, 2);
  goodFiles(context, join(dir, 'locked-folder'), 1);
  writeFileSync(join(dir, 'locked.pdf'), '%PDF-1.7\n');
  chmodSync(join(dir, 'locked.pdf'), 0o000);
  chmodSync(join(dir, 'locked-folder'), 0o000);
  const work = context.folder('locked-run');
  const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  if ('uid' in asNobody) for (const path of [dir, work, join(dir, '..')]) chmodSync(path, 0o777);
  const outcome = await runOver([dir], work, undefined, { GEMINI_API_KEY: '', GOOGLE_API_KEY: '', HOME: work }, asNobody);
  return verdictOf(
    PATH_ROW,
    `a file and a folder with mode 000${'uid' in asNobody ? ' (docpool run as nobody: root reads everything)' : ''}`,
    'FILE_UNREADABLE and PATH_UNREADABLE; the rest answered',
    countCodes(outcome.records),
    [
      endedCleanly(outcome.run, 1),
      ...codeMismatches(outcome, { 'locked.pdf': 'FILE_UNREADABLE', 'locked-folder': 'PATH_UNREADABLE', 'good-0.pdf': 'done', 'good-1.pdf': 'done' }),
    ],
  );
}

export async function workerCrashAndHang(context: CaseContext): Promise<CaseResult> {
  const dir = context.folder('faulty-workers');
  const [first, second] = goodFiles(context, dir, 6);
  renameSync(first!, join(dir, 'a.docpool-fault-crash.pdf'));
  renameSync(second!, join(dir, 'b.docpool-fault-hang.pdf'));
  const work = context.folder('faulty-run');
  writeFileSync(join(work, 'config.json'), JSON.stringify({ taskTimeoutMs: 3000 }));
  const outcome = await runOver([dir], work, ['--provider', 'offline', '--no-tui', '--config', join(work, 'config.json')], {
    GEMINI_API_KEY: '',
    GOOGLE_API_KEY: '',
    DOCPOOL_FAULT_INJECTION: '1',
  });
  return verdictOf(
    DESIGN_ROWS.worker,
    'a file whose worker exits, one whose worker spins forever (3 s deadline)',
    'WORKER_CRASHED, PDF_TIMEOUT; workers replaced; the rest answered',
    countCodes(outcome.records),
    [
      endedCleanly(outcome.run, 1),
      ...codeMismatches(outcome, {
        'a.docpool-fault-crash.pdf': 'WORKER_CRASHED',
        'b.docpool-fault-hang.pdf': 'PDF_TIMEOUT',
        'good-2.pdf': 'done',
        'good-5.pdf': 'done',
      }),
    ],
  );
}
