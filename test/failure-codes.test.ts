import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { FILE_FAILURES, FILE_SKIPS, RUN_STOPS } from '../src/main/failure-codes.ts';
import { PROJECT_ROOT } from './helpers/cli.ts';

/** The README's failure tables say what the failure table in the code says: every code, its retry, its exit. */
const readme = readFileSync(`${PROJECT_ROOT}/README.md`, 'utf8');

/** The rows of the markdown table whose header line is `header`: the code column's codes and the other cells. */
function tableRows(header: string): Array<{ codes: string[]; cells: string[] }> {
  const start = readme.indexOf(header);
  assert.ok(start >= 0, `the README has a table headed ${header}`);
  const lines = readme.slice(start).split('\n').slice(2);
  const rows = lines.slice(
    0,
    lines.findIndex((line) => !line.startsWith('|')),
  );
  return rows.map((line) => {
    const cells = line.split(' | ').map((cell) => cell.replace(/^\|\s*|\s*\|$/g, '').trim());
    return { codes: [...cells[0]!.matchAll(/`([A-Z0-9_]+)`/g)].map((match) => match[1]!), cells: cells.slice(1) };
  });
}

test('the README lists every file failure code, each with whether the next run retries it', () => {
  const rows = tableRows('| code | retried by the next run | meaning |');
  const listed = new Map(rows.flatMap((row) => row.codes.map((code) => [code, row.cells[0]] as const)));
  assert.deepEqual([...listed.keys()].sort(), Object.keys(FILE_FAILURES).sort());
  for (const [code, failure] of Object.entries(FILE_FAILURES)) {
    assert.equal(listed.get(code), failure.retryable ? 'yes' : 'with `--retry-failed`', code);
  }
});

test('the README lists every code a file is skipped with, apart from the failures', () => {
  const rows = tableRows('| skip code | meaning |');
  assert.deepEqual(rows.flatMap((row) => row.codes).sort(), Object.keys(FILE_SKIPS).sort());
  for (const row of rows) assert.equal(row.cells[0], FILE_SKIPS[row.codes[0] as keyof typeof FILE_SKIPS].meaning);
});

test('the README lists every way a run stops as a whole, with the exit code the run gives', () => {
  const rows = tableRows('| code | exit | meaning |').filter((row) => row.codes.length > 0);
  const listed = new Map(rows.flatMap((row) => row.codes.map((code) => [code, Number(row.cells[0])] as const)));
  assert.deepEqual([...listed.keys()].sort(), Object.keys(RUN_STOPS).sort());
  for (const [code, stop] of Object.entries(RUN_STOPS)) assert.equal(listed.get(code), stop.exit, code);
});
