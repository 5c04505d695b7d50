import { type StepOutcome, stepFailure } from '../provider.ts';
import { type GeminiCall, judgeAnswer, requestConfig } from '../gemini/gemini-call.ts';
import type { BatchJobs } from './batch-jobs.ts';

export interface BatchPolicy {
  /** Jobs a request may go through (a failed request, or a job that failed, expired or was cancelled) before its file fails. */
  readonly maxAttempts: number;
  /** `--batch-fallback online`: ask online (standard price) once the batch attempts are spent. */
  readonly online?: (call: GeminiCall) => Promise<StepOutcome>;
}

/**
 * One step for one file through the Batch API: the same request an online call would send,
 * answered by a job, judged by the same rules (validation, one retry with twice the output budget),
 * priced at the batch tier. A request that fails in its job goes into another job, up to
 * `maxAttempts`; then online if asked, else the file fails with the batch's reason.
 */
export async function callBatch(call: GeminiCall, jobs: BatchJobs, policy: BatchPolicy): Promise<StepOutcome> {
  const usage = { input: 0, output: 0, thinking: 0 };
  let maxOutputTokens = call.maxOutputTokens;
  let outputRetried = false;
  let failures = 0;
  for (;;) {
    const answer = await jobs.ask(call.model, { contents: call.contents, config: requestConfig(call, maxOutputTokens) });
    if (answer.kind === 'stopped') {
      return stepFailure('INTERRUPTED', 'stopped before its batch job answered (the job goes on; run again to collect it)');
    }
    if (answer.kind === 'error') {
      if (++failures < policy.maxAttempts) continue;
      if (policy.online) return policy.online(call);
      return stepFailure(answer.code, `${answer.message} (after ${failures} batch jobs)`);
    }
    const judged = judgeAnswer(call, answer.response, usage, outputRetried, maxOutputTokens);
    if (judged.kind === 'outcome') return judged.outcome;
    outputRetried = true;
    maxOutputTokens *= 2;
  }
}
