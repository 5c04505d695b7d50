import { z } from 'zod';
import { FILE_FAILURES, FILE_SKIPS, type FileFailureCode } from '../failure-codes.ts';
import type { StepPlan } from '../pipeline/step-plan.ts';
import type { StepFingerprints } from '../providers/provider.ts';
import { storedAnswerProblem } from '../profiles/stored-answer.ts';
import type { StepResult } from '../state/record.ts';
import { type FileJobResult, QUEUE_PROTOCOL } from './file-job.ts';
import type { WorkerHeartbeat } from './queue-worker.ts';
import type { PageRange } from '../../workers/protocol.ts';
import { rangeIdentity, splitAnswerProblem } from '../pipeline/split-documents.ts';

/**
 * A worker's result is data from another process, maybe of another docpool version or a broken
 * one: before any of it reaches the cache (where every later run would serve it) or a record, its
 * shape is checked, and every answer in it is checked against this run's plan: the steps these
 * settings ask, the profile's classes and schemas.
 */

const usage = z.object({ input: z.number(), output: z.number(), thinking: z.number(), costUsd: z.number() });
const codes = [...Object.keys(FILE_FAILURES), ...Object.keys(FILE_SKIPS)] as [FileFailureCode, ...FileFailureCode[]];
const answer = z.object({ ok: z.literal(true), result: z.unknown(), cached: z.boolean() }).passthrough();

/** A second opinion as a worker sends it: which checks, under which key, and how asking it ended. */
const secondOpinion = z
  .object({
    label: z.string(),
    failed: z.array(z.string()),
    key: z.string(),
    outcome: z.union([answer, z.object({ ok: z.literal(false), code: z.enum(codes), message: z.string(), retryable: z.boolean(), usage: usage.optional() })]),
  })
  .optional();

const resultSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('split'),
    protocol: z.number(),
    sha256: z.string(),
    bytes: z.number(),
    pages: z.number(),
    ranges: z.array(z.object({ from: z.number(), to: z.number() })),
    fresh: z.record(z.string(), z.unknown()),
  }),
  z.object({
    kind: z.literal('failed'),
    protocol: z.number(),
    code: z.enum(codes),
    message: z.string(),
    sha256: z.string().optional(),
    bytes: z.number().optional(),
  }),
  z.object({
    kind: z.literal('answered'),
    protocol: z.number(),
    sha256: z.string(),
    bytes: z.number(),
    pages: z.number(),
    unusedEInvoice: z.object({ source: z.string(), problem: z.string() }).optional(),
    answer: z.discriminatedUnion('ok', [
      z
        .object({
          ok: z.literal(true),
          first: answer,
          extracted: answer.optional(),
          passes: z.union([z.literal(0), z.literal(1), z.literal(2)]),
          spentBefore: usage,
        })
        // `checkedAgainst` (--e-invoice verify) is the model's answer, kept as sent: it is compared, never cached.
        .passthrough(),
      z.object({
        ok: z.literal(false),
        code: z.enum(codes),
        message: z.string(),
        retryable: z.boolean(),
        label: z.string().optional(),
        confidence: z.number().optional(),
        usage,
      }),
    ]),
    fresh: z.record(z.string(), z.unknown()),
  }),
]);

export type CheckedResult = { readonly ok: true; readonly result: FileJobResult } | { readonly ok: false; readonly reason: string };

/**
 * The result when this run can use it; else why not (said with the worker's name, and the file
 * asked again). A job for pages of a file is answered under their identity (the hash and the pages).
 */
export function checkResult(value: unknown, plan: StepPlan<StepFingerprints>, sha256: string, range?: PageRange): CheckedResult {
  const protocol = (value as { protocol?: unknown } | null)?.protocol;
  if (protocol !== QUEUE_PROTOCOL)
    return { ok: false, reason: `it speaks queue protocol ${JSON.stringify(protocol ?? null)}, this docpool ${QUEUE_PROTOCOL} (another docpool version?)` };
  const parsed = resultSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, reason: `${issue.path.join('.') || 'the result'}: ${issue.message}` };
  }
  const result = parsed.data;
  if (result.kind === 'failed') return { ok: true, result };
  if (result.sha256 !== sha256) return { ok: false, reason: `it answers content ${result.sha256.slice(0, 12)}…, not ${sha256.slice(0, 12)}…` };
  const identity = range ? rangeIdentity(sha256, range) : sha256;
  const planned = new Map(plan.possibleSteps(identity).map((step) => [step.key, step.expected]));
  if (result.kind === 'split') {
    if (range) return { ok: false, reason: 'it splits pages that were split already' };
    const problem = splitAnswerProblem({ documents: result.ranges });
    if (problem) return { ok: false, reason: problem };
    if (result.ranges[result.ranges.length - 1]!.to !== result.pages) return { ok: false, reason: `its documents end before the file's ${result.pages} pages` };
  } else if (result.answer.ok) {
    const first = result.answer.first.result as StepResult;
    const step = first.step === 'one-pass' || first.step === 'e-invoice' ? first.step : 'classify';
    const firstProblem = storedAnswerProblem(plan.profile, { step }, first);
    if (firstProblem) return { ok: false, reason: `its answer: ${firstProblem}` };
    const extracted = result.answer.extracted?.result as StepResult | undefined;
    const extractProblem = extracted === undefined ? undefined : storedAnswerProblem(plan.profile, { step: 'extract', label: first.label! }, extracted);
    if (extractProblem) return { ok: false, reason: `its extraction: ${extractProblem}` };
    // A second opinion is asked only for the checks these settings find failed: its key says which.
    const asked = secondOpinion.safeParse((result.answer as { secondOpinion?: unknown }).secondOpinion);
    if (!asked.success) return { ok: false, reason: `its second opinion: ${asked.error.issues[0]!.message}` };
    if (asked.data) {
      const earned = plan.secondOpinionFor(identity, first, extracted);
      if (!earned || earned.key !== asked.data.key) return { ok: false, reason: 'it sends a second opinion these settings would not ask' };
      const expected = { step: 'extract', label: earned.label } as const;
      const problem = asked.data.outcome.ok ? storedAnswerProblem(plan.profile, expected, asked.data.outcome.result) : undefined;
      if (problem) return { ok: false, reason: `its second opinion: ${problem}` };
      planned.set(earned.key, expected);
    }
  }
  for (const [key, fresh] of Object.entries(result.fresh)) {
    const expected = planned.get(key);
    if (!expected) return { ok: false, reason: `it answers a step these settings never ask (${key.split(':').slice(1).join(':')})` };
    const problem = storedAnswerProblem(plan.profile, expected, fresh);
    if (problem) return { ok: false, reason: `its ${expected.step} answer: ${problem}` };
  }
  return { ok: true, result: result as FileJobResult };
}

const heartbeatSchema = z.object({ id: z.string(), inFlight: z.number(), done: z.number(), failed: z.number(), startedAt: z.number(), at: z.number() });

/** A worker's heartbeat as Redis holds it, or undefined when it is not one this docpool can read (it is left out of the view). */
export function readHeartbeat(text: string): WorkerHeartbeat | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined; // not JSON: not a heartbeat
  }
  const parsed = heartbeatSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
