import { z } from 'zod';
import type { FileFailureCode } from '../../failure-codes.ts';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BatchJob, GenerateContentResponse, GoogleGenAI } from '@google/genai';
import { type BatchJobRecord, type BatchJobState, LIVE_BATCH_STATES } from '../../state/batch-job.ts';
import { canonicalJson } from '../../state/fingerprint.ts';
import { classifyApiFailure } from '../gemini/api-failure.ts';
import { sleep } from '../../abortable.ts';
import type { Store } from '../../state/store.ts';

/** One generateContent request as the SDK takes it inline: contents, and the config (system instruction included). */
export interface BatchRequest {
  readonly contents: readonly unknown[];
  readonly config: { readonly systemInstruction: string } & Readonly<Record<string, unknown>>;
}

/** Why a batch request has no answer: its job could not be made, ended without answers, or failed it. */
type BatchFailureCode = Extract<FileFailureCode, `API_BATCH_${string}`>;

export type BatchAnswer =
  | { readonly kind: 'response'; readonly response: GenerateContentResponse }
  /** The request failed inside its job, or its job ended without answers: worth another job. */
  | { readonly kind: 'error'; readonly code: BatchFailureCode; readonly message: string }
  /** The run stopped now: the job keeps running on the server, the next run collects it. */
  | { readonly kind: 'stopped' };

export interface BatchJobsOptions {
  readonly ai: GoogleGenAI;
  readonly store: Store;
  /** Scratch folder for JSONL inputs and downloaded results (inside the state folder). */
  readonly spoolDir: string;
  /** Requests per job at most. */
  readonly maxRequestsPerJob: number;
  /** A job is submitted once no request has joined it for this long (or when it is full). */
  readonly lingerMs: number;
  /** First poll interval; it grows ×1.5 per poll up to `pollMaxMs`. */
  readonly pollMs: number;
  readonly pollMaxMs: number;
  /** Inline jobs stay under this many bytes of JSON; bigger ones go as a JSONL file through the Files API. */
  readonly inlineLimitBytes: number;
  /** The run must stop now: waiting ends, jobs stay on the server. */
  readonly stop: AbortSignal;
  readonly notify: (message: string) => void;
}

/** Attempts at creating one job (a 5xx, a reset); each retry first checks whether the last one got through. */
const CREATE_ATTEMPTS = 5;

/**
 * The Batch API side of a run (DESIGN §4 with batch mode): requests are packed into jobs per
 * model, each job's intent committed to LMDB before `batches.create` (not idempotent), jobs
 * polled with a growing interval, their answers handed to whoever asked. A request's key is a
 * hash of the whole request, so the same document asked the same way finds the job that already
 * holds it — in this run, or in one a kill interrupted (`recover`).
 */
export class BatchJobs {
  readonly #options: BatchJobsOptions;
  /** Jobs not yet collected, by display name. */
  readonly #live = new Map<string, BatchJobRecord>();
  readonly #jobOfKey = new Map<string, string>();
  readonly #waiters = new Map<string, Array<(answer: BatchAnswer) => void>>();
  readonly #requests = new Map<string, { readonly model: string; readonly request: BatchRequest }>();
  /** Answers of a recovered job for requests this run has not asked (yet). */
  readonly #unclaimed = new Map<string, { readonly job: string; readonly answer: BatchAnswer }>();
  readonly #queued = new Map<string, string[]>();
  readonly #lingers = new Map<string, NodeJS.Timeout>();
  readonly #flushing = new Set<Promise<void>>();

  constructor(options: BatchJobsOptions) {
    this.#options = options;
    mkdirSync(options.spoolDir, { recursive: true });
    options.stop.addEventListener('abort', () => this.#stopWaiting(), { once: true });
  }

  /**
   * Re-attaches to the jobs an earlier run left: each one found on the server by its display name
   * is polled again; an intent the server never saw (the kill came before `create`) is abandoned,
   * and its requests are asked anew when their files come round.
   */
  async recover(): Promise<number> {
    const live = this.#options.store.batchJobs().filter((job) => LIVE_BATCH_STATES.has(job.state));
    if (live.length === 0) return 0;
    const onServer = await this.#serverJobs();
    let attached = 0;
    for (const record of live) {
      const found = onServer.get(record.displayName);
      if (!found) {
        await this.#save({ ...record, state: 'abandoned', reason: record.name ? 'no longer on the server' : 'never created (the run stopped first)' });
        continue;
      }
      const current: BatchJobRecord = { ...record, name: found.name!, state: stateOf(found) };
      await this.#save(current);
      this.#attach(current);
      attached++;
    }
    return attached;
  }

  /** The answer to one request: from the job that holds it, or from a new one. */
  ask(model: string, request: BatchRequest): Promise<BatchAnswer> {
    const key = requestKey(model, request);
    return new Promise((resolve) => {
      const unclaimed = this.#unclaimed.get(key);
      if (unclaimed) {
        this.#unclaimed.delete(key);
        void this.#collectedIfClaimed(unclaimed.job);
        resolve(unclaimed.answer);
        return;
      }
      if (this.#options.stop.aborted) {
        resolve({ kind: 'stopped' });
        return;
      }
      const waiting = this.#waiters.get(key);
      if (waiting) waiting.push(resolve);
      else this.#waiters.set(key, [resolve]);
      this.#requests.set(key, { model, request });
      if (!this.#jobOfKey.has(key) && !waiting) this.#enqueue(model, key);
    });
  }

  /** Jobs the server is still working on: what a stopped run leaves behind. */
  running(): BatchJobRecord[] {
    return [...this.#live.values()].filter((job) => job.state !== 'SUCCEEDED');
  }

  /** Cancels every job of this state folder the server still works on (`--cancel`). */
  async cancelAll(): Promise<BatchJobRecord[]> {
    const live = this.#options.store.batchJobs().filter((job) => LIVE_BATCH_STATES.has(job.state) && job.state !== 'SUCCEEDED');
    const onServer = await this.#serverJobs();
    const cancelled: BatchJobRecord[] = [];
    for (const record of live) {
      const found = onServer.get(record.displayName);
      if (found?.name) await this.#options.ai.batches.cancel({ name: found.name });
      const ended: BatchJobRecord = {
        ...record,
        ...(found?.name ? { name: found.name } : {}),
        state: found ? 'CANCELLED' : 'abandoned',
        reason: 'cancelled with --cancel',
        updatedAt: Date.now(),
      };
      await this.#save(ended);
      cancelled.push(ended);
    }
    return cancelled;
  }

  /**
   * A complete run asked every request it needs: answers nobody claimed (their files were
   * answered from the cache meanwhile) are not needed, and their jobs are done with.
   */
  async settle(): Promise<void> {
    const jobs = new Set([...this.#unclaimed.values()].map((entry) => entry.job));
    this.#unclaimed.clear();
    for (const job of jobs) await this.#collectedIfClaimed(job);
  }

  /** Waits for jobs being submitted (a stop leaves the rest on the server). */
  async close(): Promise<void> {
    for (const timer of this.#lingers.values()) clearTimeout(timer);
    await Promise.allSettled([...this.#flushing]);
  }

  #enqueue(model: string, key: string): void {
    const queue = this.#queued.get(model) ?? [];
    this.#queued.set(model, queue);
    queue.push(key);
    clearTimeout(this.#lingers.get(model));
    if (queue.length >= this.#options.maxRequestsPerJob) this.#flush(model);
    else
      this.#lingers.set(
        model,
        setTimeout(() => this.#flush(model), this.#options.lingerMs),
      );
  }

  #flush(model: string): void {
    clearTimeout(this.#lingers.get(model));
    const queue = this.#queued.get(model) ?? [];
    while (queue.length > 0) {
      const keys = queue.splice(0, this.#options.maxRequestsPerJob);
      const submitting = this.#submit(model, keys).catch((error: unknown) => {
        for (const key of keys)
          this.#deliver(key, { kind: 'error', code: 'API_BATCH_CREATE_FAILED', message: `the batch job could not be created: ${messageOf(error)}` });
      });
      this.#flushing.add(submitting);
      void submitting.finally(() => this.#flushing.delete(submitting));
    }
  }

  /** Intent first (durable), then create; a crash between the two is found again by `recover`. */
  async #submit(model: string, keys: string[]): Promise<void> {
    if (this.#options.stop.aborted) return;
    const now = Date.now();
    const intent: BatchJobRecord = { displayName: `docpool-${randomBytes(8).toString('hex')}`, model, state: 'intent', keys, createdAt: now, updatedAt: now };
    for (const key of keys) this.#jobOfKey.set(key, intent.displayName);
    this.#live.set(intent.displayName, intent);
    await this.#save(intent);
    const job = await this.#create(intent);
    const created: BatchJobRecord = { ...intent, name: job.name!, state: stateOf(job), updatedAt: Date.now() };
    await this.#save(created);
    this.#attach(created);
  }

  async #create(intent: BatchJobRecord): Promise<BatchJob> {
    const items = intent.keys.map((key) => ({ key, ...this.#requests.get(key)! }));
    const inline = items.map(({ key, request }) => ({ contents: request.contents as never, config: request.config as never, metadata: { key } }));
    const inlineBytes = Buffer.byteLength(JSON.stringify(inline));
    for (let attempt = 1; ; attempt++) {
      try {
        if (inlineBytes <= this.#options.inlineLimitBytes) {
          return await this.#options.ai.batches.create({ model: intent.model, src: inline, config: { displayName: intent.displayName } });
        }
        const input = join(this.#options.spoolDir, `${intent.displayName}.jsonl`);
        writeFileSync(input, `${items.map(({ key, request }) => jsonlLine(key, request)).join('\n')}\n`);
        try {
          const file = await this.#options.ai.files.upload({ file: input, config: { mimeType: 'application/jsonl', displayName: intent.displayName } });
          return await this.#options.ai.batches.create({ model: intent.model, src: file.name!, config: { displayName: intent.displayName } });
        } finally {
          rmSync(input, { force: true });
        }
      } catch (error) {
        if (attempt >= CREATE_ATTEMPTS || !transient(error)) throw error;
        await sleep(1000 * 2 ** attempt, this.#options.stop);
        // The failed call may have created the job before its answer was lost.
        const found = (await this.#serverJobs()).get(intent.displayName);
        if (found) return found;
      }
    }
  }

  #attach(record: BatchJobRecord): void {
    this.#live.set(record.displayName, record);
    for (const key of record.keys) this.#jobOfKey.set(key, record.displayName);
    void this.#poll(record).catch((error: unknown) => {
      this.#options.notify(`docpool: stopped polling batch job ${record.name}: ${messageOf(error)}; run again to collect it\n`);
    });
  }

  async #poll(record: BatchJobRecord): Promise<void> {
    let current = record;
    let interval = this.#options.pollMs;
    while (!this.#options.stop.aborted) {
      if (current.state !== 'SUCCEEDED') {
        await sleep(interval, this.#options.stop);
        if (this.#options.stop.aborted) return;
        interval = Math.min(this.#options.pollMaxMs, interval * 1.5);
      }
      let job: BatchJob;
      try {
        job = await this.#options.ai.batches.get({ name: current.name! });
      } catch (error) {
        if (transient(error)) continue; // the next poll tries again, later
        throw error;
      }
      const state = stateOf(job);
      if (state !== current.state) {
        current = { ...current, state, updatedAt: Date.now() };
        this.#live.set(current.displayName, current);
        await this.#save(current);
      }
      if (state === 'PENDING' || state === 'RUNNING') continue;
      if (state === 'SUCCEEDED') return this.#collect(current, job);
      // FAILED, EXPIRED, CANCELLED: no answers; each request goes to a new job (or fails) by its caller's count.
      const message = `the batch job ${current.name} ended ${state}`;
      await this.#end(current, { ...current, state, reason: message, updatedAt: Date.now() });
      const code = state === 'EXPIRED' ? 'API_BATCH_EXPIRED' : state === 'CANCELLED' ? 'API_BATCH_CANCELLED' : 'API_BATCH_FAILED';
      for (const key of current.keys) this.#deliver(key, { kind: 'error', code, message });
      return;
    }
  }

  async #collect(record: BatchJobRecord, job: BatchJob): Promise<void> {
    const answers = await this.#answersOf(record, job);
    const unclaimed = new Set<string>();
    for (const key of record.keys) {
      const answer = answers.get(key) ?? {
        kind: 'error',
        code: 'API_BATCH_REQUEST_FAILED',
        message: `the batch job ${record.name} returned no answer for this request`,
      };
      if (!this.#deliver(key, answer) && answer.kind === 'response') {
        this.#unclaimed.set(key, { job: record.displayName, answer });
        unclaimed.add(key);
      }
    }
    // Answers nobody asked for yet stay on the server until claimed: a kill before then finds the job again.
    if (unclaimed.size === 0) await this.#end(record, { ...record, state: 'collected', updatedAt: Date.now() });
  }

  async #collectedIfClaimed(displayName: string): Promise<void> {
    for (const entry of this.#unclaimed.values()) if (entry.job === displayName) return;
    const record = this.#live.get(displayName);
    if (record) await this.#end(record, { ...record, state: 'collected', updatedAt: Date.now() });
  }

  async #answersOf(record: BatchJobRecord, job: BatchJob): Promise<Map<string, BatchAnswer>> {
    const answers = new Map<string, BatchAnswer>();
    const read = (key: string | undefined, response: unknown, error: { code?: number; message?: string } | undefined) => {
      if (key === undefined) return;
      if (response && !error) answers.set(key, { kind: 'response', response: response as GenerateContentResponse });
      else
        answers.set(key, {
          kind: 'error',
          code: 'API_BATCH_REQUEST_FAILED',
          message: `the request failed in batch job ${record.name}: ${error?.message ?? 'no answer'} (code ${error?.code ?? '?'})`,
        });
    };
    for (const item of job.dest?.inlinedResponses ?? []) read(item.metadata?.key, item.response, item.error as never);
    if (job.dest?.fileName) {
      const output = join(this.#options.spoolDir, `${record.displayName}-results.jsonl`);
      await this.#options.ai.files.download({ file: job.dest.fileName, downloadPath: output });
      try {
        for (const line of readFileSync(output, 'utf8').split('\n')) {
          if (line.trim() === '') continue;
          // A line that is not one leaves its request unanswered: it goes into another job.
          const parsed = batchLine(line);
          if (parsed) read(parsed.key, parsed.response, parsed.error ?? parsed.status);
        }
      } finally {
        rmSync(output, { force: true });
      }
    }
    return answers;
  }

  /** Hands an answer to everyone waiting for the request; false when nobody was. */
  #deliver(key: string, answer: BatchAnswer): boolean {
    this.#jobOfKey.delete(key);
    this.#requests.delete(key);
    const waiting = this.#waiters.get(key);
    this.#waiters.delete(key);
    for (const resolve of waiting ?? []) resolve(answer);
    return waiting !== undefined;
  }

  async #end(record: BatchJobRecord, ended: BatchJobRecord): Promise<void> {
    this.#live.delete(record.displayName);
    await this.#save(ended);
  }

  #stopWaiting(): void {
    for (const key of [...this.#waiters.keys()]) this.#deliver(key, { kind: 'stopped' });
  }

  async #serverJobs(): Promise<Map<string, BatchJob>> {
    const byName = new Map<string, BatchJob>();
    const pager = await this.#options.ai.batches.list({ config: { pageSize: 100 } });
    for await (const job of pager) if (job.displayName?.startsWith('docpool-')) byName.set(job.displayName, job);
    return byName;
  }

  #save(record: BatchJobRecord): Promise<void> {
    return this.#options.store.putBatchJob(record);
  }
}

/** The request's identity: model and every byte of the request (document, question, schema, settings). */
export function requestKey(model: string, request: BatchRequest): string {
  return createHash('sha256').update(model).update('\u0000').update(canonicalJson(request)).digest('hex').slice(0, 32);
}

/** A JSONL input line in the wire's shape: the SDK's config split into systemInstruction and generationConfig. */
function jsonlLine(key: string, request: BatchRequest): string {
  const { systemInstruction, ...generationConfig } = request.config;
  return JSON.stringify({ key, request: { contents: request.contents, systemInstruction: { parts: [{ text: systemInstruction }] }, generationConfig } });
}

function stateOf(job: BatchJob): BatchJobState {
  const state = String(job.state ?? 'JOB_STATE_PENDING').replace(/^(JOB|BATCH)_STATE_/, '');
  if (state === 'QUEUED' || state === 'UNSPECIFIED') return 'PENDING';
  return (['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED'] as const).find((known) => known === state) ?? 'RUNNING';
}

/** Worth another try, by the online call's own reading of the error: the network, a 5xx, a 429. */
function transient(error: unknown): boolean {
  return ['retryable', 'rate_limited', 'shed'].includes(classifyApiFailure(error).kind);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const batchStatus = z.object({ code: z.number().optional(), message: z.string().optional() }).passthrough();
const batchLineSchema = z
  .object({ key: z.string().optional(), response: z.record(z.string(), z.unknown()).optional(), error: batchStatus.optional(), status: batchStatus.optional() })
  .passthrough();

/** One line of a batch job's results file (a file Google wrote, read back from disk), or undefined when it is not one. */
function batchLine(line: string): z.infer<typeof batchLineSchema> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined; // not JSON: see the caller
  }
  const parsed = batchLineSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
