/**
 * What the checks catch and what a second opinion recovers, measured against the corpus's ground
 * truth with the emulator misreading a share of answers: one run without second opinions (what
 * the checks flag), then the same command with them, on the same state folder (the first answers
 * are cache hits: only the second opinions are asked).
 */
import { join } from 'node:path';
import { parseManifest } from '../src/corpus/generate.ts';
import { fieldsOfCheck } from '../src/main/checks/check-spec.ts';
import { FINANCE_PROFILE } from '../src/main/profiles/finance.ts';
import type { FileRecord } from '../src/main/state/record.ts';
import { docpool, finished, KEY_ENV, round, UNLIMITED } from './harness.ts';
import { readFileSync } from 'node:fs';

export interface CheckFigures {
  /** Extract-class answers compared with their truth. */
  readonly answers: number;
  /** Answers whose fields differ from the truth (after the first run). */
  readonly misread: number;
  /** Misreads of a field a check relates to another (a sum, a line product, a date order): what checks can catch. */
  readonly relatedMisread: number;
  readonly relatedFlagged: number;
  /** Correct answers flagged anyway. */
  readonly correct: number;
  readonly correctFlagged: number;
  /** Misreads flagged (any kind), and of them those right after the second opinions. */
  readonly flaggedMisread: number;
  readonly recovered: number;
  readonly secondOpinions: number;
  readonly firstRunUsd: number;
  readonly extraUsd: number;
}

/** The fields each class's checks relate to one another: a misread there breaks a relation. */
function relatedFields(): Map<string, Set<string>> {
  const related = new Map<string, Set<string>>();
  for (const [label, specs] of Object.entries(FINANCE_PROFILE.checks ?? {}))
    related.set(label, new Set(specs.filter((spec) => ['sum', 'lines-sum', 'line-product', 'date-order'].includes(spec.rule)).flatMap(fieldsOfCheck)));
  return related;
}

const records = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as FileRecord);

const spent = (stderr: string) => Number(/spent \$([\d.]+)/.exec(stderr)?.[1] ?? 'NaN');

export async function measureChecks(corpus: string, work: string, emulatorUrl: string, requests: () => Promise<number>): Promise<CheckFigures> {
  const manifest = parseManifest(readFileSync(join(corpus, 'manifest.jsonl'), 'utf8'));
  const truth = new Map(manifest.map((entry) => [entry.file, entry]));
  const common = ['--db', join(work, 'db'), '--no-tui', '--base-url', emulatorUrl, '--passes', '1', ...UNLIMITED];
  const first = finished(await docpool(['run', corpus, '-o', join(work, 'first.jsonl'), '--no-escalate', ...common], KEY_ENV));
  const before = await requests();
  const second = finished(await docpool(['run', corpus, '-o', join(work, 'second.jsonl'), '--escalate', ...common], KEY_ENV));
  const secondOpinions = (await requests()) - before;
  const related = relatedFields();
  const afterSecond = new Map(records(join(work, 'second.jsonl')).map((record) => [record.path, record]));
  const figures = { answers: 0, misread: 0, relatedMisread: 0, relatedFlagged: 0, correct: 0, correctFlagged: 0, flaggedMisread: 0, recovered: 0 };
  for (const record of records(join(work, 'first.jsonl'))) {
    const entry = truth.get(record.path.slice(corpus.length + 1));
    if (!entry || entry.damaged || record.status !== 'done' || !record.fields || record.class !== entry.class) continue;
    figures.answers++;
    const fields = entry.fields as Record<string, unknown>;
    const changed = Object.keys(fields).filter((name) => JSON.stringify(record.fields![name]) !== JSON.stringify(fields[name]));
    const duplicateOnly = record.reviewReasons?.every((reason) => reason.startsWith('DUPLICATE_INVOICE'));
    const flagged = record.review === true && !duplicateOnly;
    if (changed.length === 0) {
      figures.correct++;
      if (flagged) figures.correctFlagged++;
      continue;
    }
    figures.misread++;
    if (changed.some((name) => related.get(entry.class)?.has(name))) {
      figures.relatedMisread++;
      if (flagged) figures.relatedFlagged++;
    }
    if (flagged) {
      figures.flaggedMisread++;
      if (JSON.stringify(afterSecond.get(record.path)?.fields) === JSON.stringify(fields)) figures.recovered++;
    }
  }
  return { ...figures, secondOpinions, firstRunUsd: round(spent(first.stderr), 4), extraUsd: round(spent(second.stderr), 4) };
}
