import type { QueueSnapshot } from '../queue/queue-coordinator.ts';
import type { ModelLimiterStats } from '../providers/gemini/model-limiter.ts';
import type { PipelineEnd } from '../pipeline/pipeline.ts';
import type { ReviewTally, RunSnapshot } from './run-stats.ts';
import { count } from './numbers.ts';
import { printable } from './printable.ts';

/** `120 files`, or `140 documents in 120 files` when mails, archives or bundles held several. */
export function documentsLabel(snapshot: Pick<RunSnapshot, 'finished' | 'files' | 'discovered'>): string {
  if (snapshot.files === snapshot.discovered) return `${count(snapshot.finished)} files`;
  return `${count(snapshot.finished)} documents in ${count(snapshot.files)} files`;
}

/** The end-of-run summary printed on stderr (and after the dashboard closes). */
export function formatRunSummary(snapshot: RunSnapshot, end: PipelineEnd, files: { readonly out: string; readonly db: string }): string {
  const seconds = snapshot.elapsedMs / 1000;
  const lines = [
    `docpool: ${documentsLabel(snapshot)} in ${seconds.toFixed(1)} s (${snapshot.filesPerSecond.toFixed(1)} ${snapshot.files === snapshot.discovered ? 'files' : 'documents'}/s): ${count(snapshot.done)} answered, ${count(snapshot.cached)} from cache, ${count(snapshot.failed)} failed${skippedNote(snapshot)}`,
  ];
  if (snapshot.split.files > 0)
    lines.push(
      `  split    ${count(snapshot.split.files)} file${snapshot.split.files === 1 ? '' : 's'} held several documents: ${count(snapshot.split.documents)} documents, each answered on its own pages`,
    );
  const classes = Object.entries(snapshot.byClass).sort((a, b) => b[1] - a[1]);
  if (classes.length > 0) lines.push(`  classes  ${classes.map(([label, files]) => `${label} ${count(files)}`).join(', ')}`);
  const sources = Object.entries(snapshot.bySource);
  if (sources.length > 0) lines.push(`  source   ${sources.map(([source, files]) => `${source} ${count(files)}`).join(', ')}`);
  const checks = snapshot.eInvoiceChecks;
  if (checks.checked > 0) {
    const fields = Object.entries(checks.byField).sort((a, b) => b[1] - a[1]);
    const where = fields.length > 0 ? ` (${fields.map(([field, files]) => `${field} ${count(files)}`).join(', ')})` : '';
    lines.push(`  verify   ${count(checks.checked)} e-invoices checked against the model: it disagreed with the XML on ${count(checks.disagreeing)}${where}`);
  }
  const review = reviewLine(snapshot.review);
  if (review) lines.push(`  review   ${review}; docpool review --db ${shellWord(files.db)} lists them`);
  for (const [code, entry] of Object.entries(snapshot.failuresByCode).sort((a, b) => b[1].count - a[1].count)) {
    lines.push(`  failed   ${code} × ${count(entry.count)}, e.g. ${entry.example}: ${entry.message}`);
  }
  lines.push(
    `  read     ${count(snapshot.filesRead)} files read and hashed; ${count(snapshot.statHits)} unchanged files not read; ${count(snapshot.resumed)} carried over from the last attempt${snapshot.ocrPages > 0 ? `; ${count(snapshot.ocrPages)} page${snapshot.ocrPages === 1 ? '' : 's'} read by OCR` : ''}`,
    `  tokens   ${count(snapshot.tokens.input)} in, ${count(snapshot.tokens.output)} out, ${count(snapshot.tokens.thinking)} thinking; spent $${snapshot.costUsd.toFixed(4)}; ${count(snapshot.retries)} retries`,
    `  results  ${files.out}`,
    `  report   docpool report --db ${shellWord(files.db)} -o report.html`,
  );
  if (end.kind === 'aborted') lines.push(`docpool: run stopped: ${end.message}`, '  nothing was marked failed; fix the cause and run the same command again.');
  if (end.kind === 'admission_stopped') {
    lines.push(`docpool: stopped admitting files: ${end.message}`, '  finished work is saved; run the same command again to go on from where it stopped.');
    if (end.code === 'BUDGET_REACHED') lines.push('  (raise --max-cost, or leave it out, to go further)');
    if (end.code === 'API_DAILY_QUOTA') lines.push('  (per-day quotas reset at midnight Pacific time)');
  }
  // Paths and messages come from file names, documents and servers: nothing reaches the terminal raw.
  return lines.map(printable).join('\n');
}

/**
 * The limits Google's 429s stated during the run, for models whose limits were not given or
 * published: where to start next time instead of finding them again.
 */
export function formatLearnedLimits(models: readonly ModelLimiterStats[]): string[] {
  return models
    .filter((model) => model.learned.length > 0)
    .map((model) => {
      const flags = model.learned.map((metric) => `--${metric} ${model.model}=${metric === 'rpm' ? model.rpm : model.tpm}`).join(' ');
      const stated = model.learned
        .map((metric) => (metric === 'rpm' ? `${count(model.rpm ?? 0)} requests` : `${count(model.tpm ?? 0)} input tokens`))
        .join(' and ');
      return `docpool: Google's 429s stated ${model.model}'s limit: ${stated} a minute for this project; ${flags} starts there next time`;
    });
}

/**
 * One plain progress line, for pipes, CI and --no-tui; a model that is down or paused is named,
 * so a line whose counts stand still says why.
 */
export function formatProgressLine(snapshot: RunSnapshot, models: readonly ModelLimiterStats[] = [], queue?: QueueSnapshot): string {
  const total = snapshot.discoveryDone ? count(snapshot.discovered) : `${count(snapshot.discovered)}+`;
  const waits = models.flatMap((model) =>
    model.outage.held
      ? [`${model.model} answering only server errors for ${Math.ceil(model.outage.heldForMs / 1000)} s, probing`]
      : model.pausedForMs > 0
        ? [`${model.model} paused ${Math.ceil(model.pausedForMs / 1000)} s (rate limited)`]
        : [],
  );
  return `docpool: ${count(snapshot.finished)}/${total} ${snapshot.files === snapshot.discovered ? 'files' : 'documents'} (${count(snapshot.done)} answered, ${count(snapshot.cached)} cached, ${count(snapshot.failed)} failed${skippedNote(snapshot)}), ${snapshot.filesPerSecond.toFixed(1)} files/s, $${snapshot.costUsd.toFixed(4)}, ${(snapshot.elapsedMs / 1000).toFixed(0)} s${waits.map((wait) => `; ${wait}`).join('')}${queue ? `; ${queueLine(queue)}` : ''}`;
}

/** ", 3 skipped (NOT_AN_EINVOICE 3)", or nothing when nothing was skipped. */
export function skippedNote(snapshot: Pick<RunSnapshot, 'skipped' | 'skippedByCode'>): string {
  if (snapshot.skipped === 0) return '';
  const codes = Object.entries(snapshot.skippedByCode).map(([code, files]) => `${code} ${count(files)}`);
  return `, ${count(snapshot.skipped)} skipped (${codes.join(', ')})`;
}

/** "12 answers to review (sum 7, date-order 3, confidence 2); 9 second opinions asked, 7 kept", or nothing when there is nothing to say. */
export function reviewLine(review: ReviewTally): string | undefined {
  if (review.flagged === 0 && review.secondOpinions === 0) return undefined;
  const reasons = Object.entries(review.byReason).sort((a, b) => b[1] - a[1]);
  const why = reasons.length > 0 ? ` (${reasons.map(([reason, files]) => `${reason} ${count(files)}`).join(', ')})` : '';
  const seconds = review.secondOpinions > 0 ? `; ${count(review.secondOpinions)} second opinions asked, ${count(review.keptSecond)} kept` : '';
  return `${count(review.flagged)} answers to review${why}${seconds}`;
}

/** The queue's state in one phrase: its workers and its jobs. */
export function queueLine(queue: QueueSnapshot): string {
  const workers = `${queue.workers.length} worker${queue.workers.length === 1 ? '' : 's'}`;
  return `queue: ${workers}, ${count(queue.waiting)} waiting, ${count(queue.active)} active${queue.delayed > 0 ? `, ${count(queue.delayed)} to retry` : ''}${queue.stalled > 0 ? `, ${count(queue.stalled)} recovered from a lost worker` : ''}`;
}

/** A path as the user can paste it into a shell. */
function shellWord(path: string): string {
  return /^[\w./@%+=:,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
