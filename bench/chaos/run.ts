/**
 * `npm run chaos`: docpool's reliability promises (DESIGN §10) as repeatable checks with figures.
 * Writes bench/results/chaos-<timestamp>.json and chaos-latest.md (the README's table) and exits
 * non-zero when any promise is broken. `-- --only storm,kills` runs a subset.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScenarioReport } from './checks.ts';
import { chaosMarkdown } from './report.ts';
import { faultStorm } from './fault-storm.ts';
import { killLoop } from './kill-loop.ts';
import { badInputMatrix } from './bad-input.ts';
import { scaleSoak } from './soak.ts';
import { securityChecks } from './security.ts';

const SCENARIOS: Record<string, () => Promise<ScenarioReport>> = {
  storm: () => faultStorm(2000),
  kills: () => killLoop(20),
  'bad-input': () => badInputMatrix(100_000),
  soak: () => scaleSoak(100_000),
  security: () => securityChecks(),
};

const only = process.argv
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const log = (text: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${text}\n`);
const started = performance.now();
const reports: ScenarioReport[] = [];
for (const [name, scenario] of Object.entries(SCENARIOS)) {
  if (only && !only.includes(name)) continue;
  log(name);
  reports.push(await scenario());
  const last = reports.at(-1)!;
  log(`${name}: ${last.checks.filter((check) => check.ok).length}/${last.checks.length} checks kept in ${Math.round(last.seconds)} s`);
}
const failed = reports.flatMap((report) => report.checks.filter((check) => !check.ok).map((check) => `${report.scenario}: ${check.name} (${check.detail})`));
const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}`;
const date = new Date().toISOString();
const seconds = Math.round((performance.now() - started) / 1000);
const heading = `Chaos suite of ${date.slice(0, 10)} on ${machine}; ${seconds} s; ${failed.length === 0 ? 'every check kept' : `${failed.length} checks BROKEN`}.`;
const markdown = chaosMarkdown(reports, heading);
const results = fileURLToPath(new URL('../results', import.meta.url));
mkdirSync(results, { recursive: true });
writeFileSync(join(results, `chaos-${date.replace(/[:.]/g, '-')}.json`), `${JSON.stringify({ date, machine, reports }, null, 2)}\n`);
if (!only) writeFileSync(join(results, 'chaos-latest.md'), `${markdown}\n`);
process.stdout.write(`${markdown}\n`);
process.exit(failed.length === 0 ? 0 : 1);
