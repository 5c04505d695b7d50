import { randomBytes } from 'node:crypto';
import type { EmulatorConfig } from './config.ts';
import { rulesFor } from './config.ts';
import type { FileStore } from './files-api.ts';
import { answer, readOrReject } from './generate.ts';
import { GENERATE_CONTENT_REQUEST, readProtoJson } from './proto-json.ts';
import type { GenerateRequest } from './read-request.ts';
import * as wire from './wire-errors.ts';

/** The Batch API's job states, as the wire spells them (BATCH_STATE_*). */
export type BatchState = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'EXPIRED';
const TERMINAL: ReadonlySet<BatchState> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED']);

/** Inline batches must stay under 20 MB in total (batch-mode page). */
export const INLINE_BATCH_LIMIT_BYTES = 20 * 1024 * 1024;
/** A job pending or running longer than this expires (batch-mode page: 48 hours). */
const EXPIRY_MS = 48 * 3600_000;
/** google.rpc.Code values used in per-request errors. */
const GRPC = { INVALID_ARGUMENT: 3, INTERNAL: 13 } as const;

interface BatchRequest {
  readonly key?: string;
  /** The request as read (camelCase), or why it could not be read. */
  readonly request: GenerateRequest | { readonly unreadable: string };
}

interface BatchJob {
  readonly id: string;
  readonly model: string;
  readonly displayName: string;
  readonly ordinal: number;
  readonly createdAt: number;
  readonly requests: readonly BatchRequest[];
  readonly fromFile: boolean;
  state: BatchState;
  startedAt?: number;
  endedAt?: number;
  updatedAt: number;
  output?: { inlinedResponses: unknown[] } | { responsesFile: string };
  succeeded: number;
  failed: number;
}

export interface BatchStats {
  readonly created: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly expired: number;
  /** Requests in created jobs. */
  readonly requests: number;
}

export type BatchReply = { readonly status: number; readonly body: unknown };

/**
 * `models/{m}:batchGenerateContent` and `batches/{id}` (../shared/reference/gemini-wire.md §9):
 * jobs go PENDING → RUNNING → SUCCEEDED (or FAILED, CANCELLED, EXPIRED) on the emulated clock,
 * each request answered as generateContent would answer it, priced at the batch tier. A request
 * Google would refuse becomes that request's error inside a job that still succeeds; a share of
 * requests (`batch.requestErrorRate`) fail with INTERNAL, so partial success is the normal case.
 */
export class BatchStore {
  readonly #jobs = new Map<string, BatchJob>();
  #created = 0;
  #requests = 0;
  readonly #ended: Record<'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'EXPIRED', number> = { SUCCEEDED: 0, FAILED: 0, CANCELLED: 0, EXPIRED: 0 };

  constructor(
    private readonly config: () => EmulatorConfig,
    private readonly files: FileStore,
    private readonly uniform: () => number,
    private readonly billed: (model: string, input: number, output: number, thinking: number) => void,
  ) {}

  create(model: string, body: unknown): BatchReply {
    const rules = rulesFor(this.config(), model);
    if (!rules) return refusal(wire.modelNotFound(model, 'batchGenerateContent'));
    const batch = (body as { batch?: Record<string, unknown> } | null)?.batch;
    if (!batch || typeof batch !== 'object') return refusal(wire.invalidArgument('* BatchGenerateContentRequest.batch: batch is required'));
    const displayName = batch.displayName;
    if (typeof displayName !== 'string' || displayName === '')
      return refusal(wire.invalidArgument('* GenerateContentBatch.display_name: display_name is required'));
    const input = (batch.inputConfig ?? batch.input_config) as { requests?: { requests?: unknown[] }; fileName?: string; file_name?: string } | undefined;
    const fileName = input?.fileName ?? input?.file_name;
    let requests: BatchRequest[];
    if (fileName) {
      const bytes = this.files.bytes(fileName);
      if (!bytes) return refusal(wire.invalidArgument(`File ${fileName} not found or not accessible.`));
      requests = readJsonl(bytes.toString('utf8'));
    } else {
      const inline = input?.requests?.requests;
      if (!Array.isArray(inline) || inline.length === 0)
        return refusal(wire.invalidArgument('* GenerateContentBatch.input_config: requests or file_name is required'));
      if (Buffer.byteLength(JSON.stringify(inline)) > INLINE_BATCH_LIMIT_BYTES) {
        return refusal(wire.invalidArgument(`Inline batch requests exceed the ${INLINE_BATCH_LIMIT_BYTES} byte limit; use an input file.`));
      }
      requests = inline.map((item) => readItem(item as { request?: unknown; metadata?: { key?: string } }));
    }
    const now = Date.now();
    const job: BatchJob = {
      id: randomBytes(16).toString('hex'),
      model,
      displayName,
      ordinal: ++this.#created,
      createdAt: now,
      updatedAt: now,
      requests,
      fromFile: Boolean(fileName),
      state: 'PENDING',
      succeeded: 0,
      failed: 0,
    };
    this.#requests += requests.length;
    this.#jobs.set(job.id, job);
    return { status: 200, body: this.#operation(job) };
  }

  get(id: string): BatchReply {
    const job = this.#advanced(id);
    return job ? { status: 200, body: this.#operation(job) } : refusal(batchNotFound(id));
  }

  list(pageSize: number, pageToken: string | undefined): BatchReply {
    const all = [...this.#jobs.keys()].map((id) => this.#advanced(id)!).sort((a, b) => b.createdAt - a.createdAt);
    const start = pageToken ? Number(pageToken) : 0;
    const page = all.slice(start, start + pageSize).map((job) => this.#operation(job));
    return { status: 200, body: { operations: page, ...(start + pageSize < all.length ? { nextPageToken: String(start + pageSize) } : {}) } };
  }

  cancel(id: string): BatchReply {
    const job = this.#advanced(id);
    if (!job) return refusal(batchNotFound(id));
    if (!TERMINAL.has(job.state)) this.#end(job, 'CANCELLED', Date.now());
    return { status: 200, body: {} };
  }

  delete(id: string): BatchReply {
    return this.#jobs.delete(id) ? { status: 200, body: {} } : refusal(batchNotFound(id));
  }

  stats(): BatchStats {
    const { SUCCEEDED, FAILED, CANCELLED, EXPIRED } = this.#ended;
    return { created: this.#created, succeeded: SUCCEEDED, failed: FAILED, cancelled: CANCELLED, expired: EXPIRED, requests: this.#requests };
  }

  /** The job with its state brought up to now on the emulated clock. */
  #advanced(id: string): BatchJob | undefined {
    const job = this.#jobs.get(id);
    if (!job || TERMINAL.has(job.state)) return job;
    const { timeScale, batch } = this.config();
    const now = Date.now();
    const fate = batch.outcomes[String(job.ordinal)];
    const queuedUntil = job.createdAt + batch.queueMs * timeScale;
    const expiresAt = job.createdAt + EXPIRY_MS * timeScale;
    // An expiring job is never picked up: it waits in the queue until its 48 hours are over.
    if (fate === 'expired') {
      if (now >= expiresAt) this.#end(job, 'EXPIRED', expiresAt);
      return job;
    }
    if (now < queuedUntil) return job;
    if (job.state === 'PENDING') {
      job.state = 'RUNNING';
      job.startedAt = queuedUntil;
      job.updatedAt = queuedUntil;
    }
    // Someone cancelled it elsewhere (AI Studio, another script) while it ran.
    if (fate === 'cancelled') {
      this.#end(job, 'CANCELLED', queuedUntil);
      return job;
    }
    const doneAt = job.startedAt! + (batch.runMs + batch.perRequestMs * job.requests.length) * timeScale;
    if (now < doneAt) return job;
    if (fate === 'failed') this.#end(job, 'FAILED', doneAt);
    else this.#finish(job, doneAt);
    return job;
  }

  #finish(job: BatchJob, at: number): void {
    const results = job.requests.map((item) => this.#answer(job.model, item));
    job.succeeded = results.filter((result) => 'response' in result).length;
    job.failed = results.length - job.succeeded;
    if (job.fromFile) {
      const lines = results.map((result) => JSON.stringify(result)).join('\n');
      const file = this.files.put(Buffer.from(`${lines}\n`), 'application/jsonl', `${job.displayName}-results`, 'GENERATED');
      job.output = { responsesFile: file.name };
    } else {
      job.output = { inlinedResponses: results.map(({ key, ...rest }) => ({ ...rest, ...(key === undefined ? {} : { metadata: { key } }) })) };
    }
    this.#end(job, 'SUCCEEDED', at);
  }

  #answer(model: string, item: BatchRequest): { key?: string } & ({ response: unknown } | { error: { code: number; message: string } }) {
    const keyed = item.key === undefined ? {} : { key: item.key };
    if ('unreadable' in item.request) return { ...keyed, error: { code: GRPC.INVALID_ARGUMENT, message: item.request.unreadable } };
    const rules = rulesFor(this.config(), model)!;
    const read = readOrReject(item.request, rules, 'generateContent');
    if (!read.ok) {
      const body = read.outcome.kind === 'respond' ? (read.outcome.body as wire.WireError['body']) : undefined;
      return { ...keyed, error: { code: GRPC.INVALID_ARGUMENT, message: body?.error.message ?? 'Request contains an invalid argument.' } };
    }
    if (this.uniform() < this.config().batch.requestErrorRate) return { ...keyed, error: { code: GRPC.INTERNAL, message: 'Internal error encountered.' } };
    const result = answer(model, rules, item.request, read.reading, undefined, { config: this.config().misread, seed: this.config().seed });
    this.billed(model, read.reading.promptTokens, result.outputTokens, result.thinkingTokens);
    return { ...keyed, response: result.body };
  }

  #end(job: BatchJob, state: 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'EXPIRED', at: number): void {
    job.state = state;
    job.endedAt = at;
    job.updatedAt = at;
    this.#ended[state]++;
  }

  /** The long-running operation a job is served as; the SDK reads `metadata`. */
  #operation(job: BatchJob): unknown {
    const stamp = (ms: number) => new Date(ms).toISOString();
    const pending = TERMINAL.has(job.state) ? 0 : job.requests.length;
    const metadata = {
      '@type': 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch',
      model: `models/${job.model}`,
      displayName: job.displayName,
      createTime: stamp(job.createdAt),
      updateTime: stamp(job.updatedAt),
      ...(job.endedAt === undefined ? {} : { endTime: stamp(job.endedAt) }),
      batchStats: {
        requestCount: String(job.requests.length),
        ...(pending > 0 ? { pendingRequestCount: String(pending) } : {}),
        ...(job.succeeded > 0 ? { successfulRequestCount: String(job.succeeded) } : {}),
        ...(job.failed > 0 ? { failedRequestCount: String(job.failed) } : {}),
      },
      state: `BATCH_STATE_${job.state}`,
      name: `batches/${job.id}`,
    };
    const done = TERMINAL.has(job.state);
    const output = job.output && 'inlinedResponses' in job.output ? { inlinedResponses: { inlinedResponses: job.output.inlinedResponses } } : job.output;
    return {
      name: `batches/${job.id}`,
      metadata: { ...metadata, ...(output ? { output } : {}) },
      ...(done ? { done: true } : {}),
      ...(job.state === 'SUCCEEDED'
        ? { response: { '@type': 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput', ...output } }
        : {}),
      ...(job.state === 'FAILED' ? { error: { code: GRPC.INTERNAL, message: 'The batch failed.' } } : {}),
    };
  }
}

function readItem(item: { request?: unknown; metadata?: { key?: string } } | null, key = item?.metadata?.key): BatchRequest {
  const read = readProtoJson(GENERATE_CONTENT_REQUEST, item?.request ?? {});
  const keyed = key === undefined ? {} : { key };
  if (read.violations.length > 0)
    return { ...keyed, request: { unreadable: read.violations.map((violation) => `${violation.field}: ${violation.description}`).join('; ') } };
  return { ...keyed, request: read.value as GenerateRequest };
}

/** The JSONL input: one `{"key": …, "request": {…}}` per line (batch-mode page). */
function readJsonl(text: string): BatchRequest[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        const parsed = JSON.parse(line) as { key?: string; request?: unknown };
        return readItem({ request: parsed.request }, parsed.key);
      } catch (error) {
        return { request: { unreadable: `Invalid JSON line: ${(error as Error).message}` } };
      }
    });
}

function refusal(error: wire.WireError): BatchReply {
  return { status: error.status, body: error.body };
}

function batchNotFound(id: string): wire.WireError {
  return { status: 404, body: { error: { code: 404, message: `Batch batches/${id} not found.`, status: 'NOT_FOUND' } } };
}
