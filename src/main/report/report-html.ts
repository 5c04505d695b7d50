import type { EvalReport } from '../eval/evaluate.ts';
import { count } from '../progress/numbers.ts';
import { escapeHtml } from './escape-html.ts';
import type { ReportData } from './report-data.ts';
import { barChart, lineChart } from './svg-chart.ts';
import { timeline } from './timeline.ts';

/** Against Google; a run made before docpool kept its settings is drawn against it too. */
const DEFAULT_QUOTA_WINDOW_MS = 60_000;

/**
 * The report as one self-contained HTML file: inline CSS and SVG, no script, no font, no image,
 * no link to anywhere, so it opens the same offline, in a mail attachment or years from now.
 */
export function reportHtml(data: ReportData, generatedAt: Date, accuracy?: EvalReport): string {
  const { run, files } = data;
  const settings = run.settings;
  const quotaWindowMs = settings?.quotaWindowMs ?? DEFAULT_QUOTA_WINDOW_MS;
  const line = timeline(data.attempts, quotaWindowMs);
  const activeSeconds = data.attempts.reduce((sum, attempt) => sum + (attempt.endedAt - attempt.startedAt) / 1000, 0);
  const windowName = quotaWindowMs === 60_000 ? 'minute' : `${quotaWindowMs / 1000} s quota window`;
  const title = `docpool report: run ${run.id}`;
  const body = [
    `<header><h1>docpool report</h1><p class="muted">run <code>${escapeHtml(run.id)}</code> · ${escapeHtml(run.state)} · made ${escapeHtml(isoTime(generatedAt.getTime()))}</p></header>`,
    section('The run', [
      table(
        ['', ''],
        [
          ['inputs', run.inputs.map((input) => `<code class="path">${escapeHtml(input)}</code>`).join('<br>')],
          ['provider', escapeHtml(settings?.provider ?? 'not recorded')],
          ['profile', escapeHtml(settings?.profile ?? 'not recorded')],
          [
            'models',
            settings
              ? `classify <code>${escapeHtml(settings.classifyModel)}</code>, extract <code>${escapeHtml(settings.extractModel)}</code>`
              : 'not recorded',
          ],
          ['pages sent', settings ? `first ${settings.pages}, as ${escapeHtml(settings.inputMode)}` : 'not recorded'],
          ['passes', escapeHtml(settings?.passes ?? (settings ? '2' : 'not recorded'))],
          ['started', escapeHtml(isoTime(run.createdAt))],
          ['last updated', escapeHtml(isoTime(run.updatedAt))],
          ['attempts', `${data.attempts.length} (${duration(activeSeconds)} of work)`],
        ],
        { header: false },
      ),
      `<div class="tiles">${[
        ...(files.paths === files.total ? [tile('files', count(files.total))] : [tile('documents', count(files.total)), tile('in files', count(files.paths))]),
        tile('answered', count(files.answered)),
        tile('from cache', count(files.cached)),
        tile('failed', count(files.failed), files.failed > 0 ? 'bad' : ''),
        ...(files.skipped > 0 ? [tile('skipped (not read)', count(files.skipped), '')] : []),
        tile('pages', count(files.pages)),
        tile('spent', usd(data.spend.reduce((sum, entry) => sum + entry.costUsd, 0))),
      ].join('')}</div>`,
      data.bySource.length > 0
        ? `<p>answers from ${data.bySource.map(([source, files]) => `${escapeHtml(source)} ${count(files)}`).join(', ')}; ${count(files.cached)} cache hits (no request made for the file)</p>`
        : '',
    ]),
    section('Spend by model and step', [
      data.spend.length === 0
        ? '<p class="muted">no API answer was paid for in this run (offline rules, or every answer from the cache)</p>'
        : table(
            ['step', 'model', 'answers', 'tokens in', 'tokens out', 'thinking', 'USD'],
            data.spend.map((entry) => [
              entry.step,
              `<code>${escapeHtml(entry.model)}</code>`,
              count(entry.answers),
              count(entry.input),
              count(entry.output),
              count(entry.thinking),
              usd(entry.costUsd),
            ]),
          ),
      `<p class="muted">The files' own records add up to ${count(data.usage.input)} tokens in, ${count(data.usage.output)} out, ${count(data.usage.thinking)} thinking, ${usd(data.usage.costUsd)} (answers paid for but not kept, such as a retried invalid answer, count above only).</p>`,
    ]),
    section('Over time', [
      data.attempts.length === 0
        ? '<p class="muted">this run has no time series (made before docpool kept one)</p>'
        : [
            lineChart({ title: 'Files finished per second', yLabel: 'files/s', series: line.filesPerSecond, markers: line.markers }),
            ...line.models.map((model) =>
              lineChart({
                title: `${model.model}: requests accepted and 429s in the trailing ${windowName}, against the quota`,
                yLabel: `in the trailing ${windowName}`,
                series: model.series,
                markers: line.markers,
              }),
            ),
            lineChart({ title: 'Spend over time', yLabel: 'USD', series: line.spend, markers: line.markers }),
            line.markers.length > 0
              ? '<p class="muted">Dashed vertical lines: a later attempt of the same run starts (time between attempts left out).</p>'
              : '',
          ].join(''),
    ]),
    section('Classes', [data.byClass.length === 0 ? '<p class="muted">no file was classified</p>' : barChart('Files by class', data.byClass, '#2563eb')]),
    accuracy ? accuracySection(accuracy) : '',
    data.review.flagged === 0 && data.review.secondOpinions === 0
      ? ''
      : section('To review', [
          `<p>${count(data.review.flagged)} records to look at: a check on the answer failed (the totals do not add up, a date is impossible or out of order, a code is invalid), the class confidence is low, or the invoice duplicates another file's. ${count(data.review.secondOpinions)} answers that failed a check were asked once more; the second answer was kept for ${count(data.review.keptSecond)}. <code>docpool review -o review.csv</code> lists every one.</p>`,
          data.review.byReason.length === 0 ? '' : barChart('Records to review, by reason', data.review.byReason, '#d97706'),
          table(
            ['file', 'why'],
            data.review.examples.map((example) => [escapeHtml(example.path), escapeHtml(example.reasons.join('; '))]),
          ),
        ]),
    data.eInvoiceChecks.checked === 0
      ? ''
      : section('E-invoices checked against the model', [
          `<p>${count(data.eInvoiceChecks.checked)} e-invoices were answered from their XML and read by the model too (<code>--e-invoice verify</code>); the model disagreed with the XML on ${count(data.eInvoiceChecks.disagreeing)}.</p>`,
          data.eInvoiceChecks.byField.length === 0 ? '' : barChart('E-invoices where the model read a field otherwise', data.eInvoiceChecks.byField, '#dc2626'),
        ]),
    section('Requests', [
      data.requests.length === 0
        ? '<p class="muted">no API request in this run</p>'
        : table(
            ['model', 'requests sent', '429s', 'quota per window'],
            data.requests.map((model) => [
              `<code>${escapeHtml(model.model)}</code>`,
              count(model.sent),
              count(model.rateLimited),
              model.rpm === undefined ? 'not known' : count(model.rpm),
            ]),
          ),
    ]),
    section('Failures by code', [
      data.failures.length === 0
        ? '<p>no file failed</p>'
        : table(
            ['code', 'files', 'retried by the next run', 'examples'],
            data.failures.map((failure) => [
              `<code>${escapeHtml(failure.code)}</code>`,
              count(failure.count),
              failure.retryable ? 'yes' : 'with --retry-failed',
              failure.examples.map((example) => `<code class="path">${escapeHtml(example.path)}</code>: ${escapeHtml(example.message)}`).join('<br>'),
            ]),
          ),
    ]),
    section('Slowest files', [
      table(
        ['file', 'seconds', 'pages', 'outcome'],
        data.slowest.map((file) => [
          `<code class="path">${escapeHtml(file.path)}</code>`,
          (file.ms / 1000).toFixed(1),
          file.pages === null ? '-' : count(file.pages),
          escapeHtml(file.outcome),
        ]),
      ),
    ]),
  ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
<footer class="muted">Made by <code>docpool report</code> from the state folder alone; opens offline.</footer>
</body>
</html>
`;
}

/** `docpool report --truth`: how many answers were right against labels (what `docpool eval` prints). */
function accuracySection(report: EvalReport): string {
  const percent = (share: number) => `${(share * 100).toFixed(1)} %`;
  return section('Accuracy against labels', [
    `<p>${count(report.matched)} labelled files scored (${count(report.unmatched)} labels with no record in the run). A field is right when it equals the label once normalised: numbers within 0.01, dates as dates, names without case, spacing, accents or legal form. $${report.costUsd.toFixed(4)} for ${count(report.correctFields)} fields right.</p>`,
    table(
      ['class', 'labelled', 'answered', 'precision', 'recall'],
      report.classes.map((score) => [escapeHtml(score.class), count(score.support), count(score.answered), percent(score.precision), percent(score.recall)]),
    ),
    barChart(
      'Fields right, of those labelled (%)',
      report.fields.map((score) => [score.field, Math.round(score.accuracy * 1000) / 10] as const),
      '#059669',
    ),
    table(
      ['field', 'labelled', 'exact', 'right', 'empty', 'wrong'],
      report.fields.map((score) => [
        escapeHtml(score.field),
        count(score.labelled),
        count(score.exact),
        count(score.normalised),
        count(score.empty),
        count(score.wrong),
      ]),
    ),
    `<p>by source: ${Object.entries(report.bySource)
      .map(([name, group]) => `${escapeHtml(name)} ${percent(group.accuracy)} of ${count(group.labelled)}`)
      .join('; ')}</p>`,
  ]);
}

function section(heading: string, parts: readonly string[]): string {
  return `<section><h2>${escapeHtml(heading)}</h2>${parts.join('')}</section>`;
}

/** Cells are HTML already (escaped by the caller). */
function table(headings: readonly string[], rows: ReadonlyArray<readonly string[]>, options: { header?: boolean } = {}): string {
  const head = options.header === false ? '' : `<thead><tr>${headings.map((heading) => `<th>${escapeHtml(heading)}</th>`).join('')}</tr></thead>`;
  return `<table>${head}<tbody>${rows.map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function tile(label: string, value: string, tone = ''): string {
  return `<div class="tile ${tone}"><div class="value">${escapeHtml(value)}</div><div class="label">${escapeHtml(label)}</div></div>`;
}

function usd(value: number): string {
  return `$${value.toFixed(value >= 100 ? 2 : 4)}`;
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

const STYLE = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #111827; background: #f9fafb; margin: 0 auto; max-width: 880px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; border-bottom: 1px solid #e5e7eb; padding-bottom: 4px; }
section { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 4px 16px 12px; margin: 16px 0; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #f3f4f6; vertical-align: top; }
th { font-weight: 600; color: #374151; }
td:not(:first-child) { font-variant-numeric: tabular-nums; }
code { font: 12px/1.4 ui-monospace, "SFMono-Regular", Menlo, monospace; white-space: nowrap; }
code.path { white-space: normal; word-break: break-all; }
.muted { color: #6b7280; }
.tiles { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0; }
.tile { flex: 1 1 110px; border: 1px solid #e5e7eb; border-radius: 6px; padding: 8px 10px; }
.tile .value { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.tile .label { color: #6b7280; font-size: 12px; }
.tile.bad .value { color: #b91c1c; }
figure { margin: 12px 0 18px; }
figcaption { font-weight: 600; margin-bottom: 4px; }
svg.chart { width: 100%; height: auto; display: block; }
svg .grid { stroke: #f3f4f6; }
svg .axis-line { stroke: #9ca3af; }
svg .marker { stroke: #9ca3af; stroke-dasharray: 3 3; }
svg .tick, svg .legend, svg .axis { font: 11px system-ui, sans-serif; fill: #4b5563; }
footer { margin: 24px 0; font-size: 12px; }
`;
