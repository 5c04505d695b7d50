/** The chaos suite's Markdown: a headline of the figures that matter, then each scenario and every bad-input case. */
import type { BadInputReport } from './bad-input.ts';
import { DESIGN_ROWS, type ScenarioReport } from './checks.ts';

const show = (value: number | string | undefined) => (value === undefined ? '—' : typeof value === 'number' ? value.toLocaleString('en-US') : value);
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function chaosMarkdown(reports: readonly ScenarioReport[], heading: string): string {
  const find = (name: string) => reports.find((report) => report.scenario === name);
  const figure = (name: string, key: string) => find(name)?.figures[key];
  const lost = reports.reduce((sum, report) => sum + Number(report.figures['files lost'] ?? 0), 0);
  const matrix = find('bad input matrix') as BadInputReport | undefined;
  const broken = reports.flatMap((report) =>
    report.checks.filter((check) => !check.ok).map((check) => `- ${report.scenario}: ${check.name} (${check.detail})`),
  );
  const lines = [
    heading,
    '',
    '| figure | value |',
    '|---|---:|',
    `| faults injected in the storm, all survived | ${show(figure('fault storm', 'faults injected'))} |`,
    `| SIGKILLs survived (state folder sound after each) | ${show(figure('kill loop', 'state folder sound after kill'))} |`,
    `| bad-input cases kept | ${matrix ? `${show(matrix.figures['cases kept'])}/${show(matrix.figures['cases tried'])}` : '—'} |`,
    `| files through the soak | ${show(figure('scale soak', 'files'))} |`,
    `| API key leaks | ${show(figure('security', 'key leaks'))} |`,
    `| failure-table rows exercised | ${new Set(reports.flatMap((report) => report.rows)).size}/${Object.keys(DESIGN_ROWS).length} |`,
    `| checks kept | ${reports.reduce((sum, report) => sum + report.checks.filter((check) => check.ok).length, 0)}/${reports.reduce((sum, report) => sum + report.checks.length, 0)} |`,
    `| **files lost** | **${lost}** |`,
    '',
    '| scenario | s | checks kept | figures |',
    '|---|---:|---:|---|',
    ...reports.map(
      (report) =>
        `| ${report.scenario} | ${Math.round(report.seconds)} | ${report.checks.filter((check) => check.ok).length}/${report.checks.length} | ${cell(
          Object.entries(report.figures)
            .map(([key, value]) => `${key}: ${show(value)}`)
            .join('; '),
        )} |`,
    ),
  ];
  if (matrix) {
    lines.push('', '| failure-table row | input | promised | got | kept |', '|---|---|---|---|---|');
    lines.push(
      ...matrix.cases.map(
        (result) => `| ${cell(result.row)} | ${cell(result.input)} | ${cell(result.promised)} | ${cell(result.got)} | ${result.ok ? 'yes' : '**NO**'} |`,
      ),
    );
  }
  if (broken.length) lines.push('', 'Broken:', ...broken);
  return lines.join('\n');
}
