import type { Answered } from '../pipeline/answer-steps.ts';
import type { EInvoiceNote, StepResult } from '../state/record.ts';
import type { FileFailureCode } from '../failure-codes.ts';
import type { PageRange } from '../../workers/protocol.ts';

/**
 * The typed boundary between a queue coordinator and its workers: what a job carries and what it
 * returns. Nothing in either is secret: each process reads the API key from its own environment.
 */

/** The BullMQ queue prefix: every key docpool keeps in Redis starts with it. */
export const REDIS_PREFIX = 'docpool';

/** The queue's name when --queue-name is not given. */
export const DEFAULT_QUEUE = 'docpool';

/** How long a worker's claim on a job lasts unrenewed (BullMQ's lock): a killed worker's jobs return after about this. */
export const DEFAULT_LOCK_MS = 30_000;

/** One file to answer. */
export interface FileJob {
  /** Where the worker reads it (a mount every machine shares). */
  readonly path: string;
  /** The document inside the file (an attachment, an archive member), by its listing's index. */
  readonly part?: string;
  /** One of several documents in the file (or part): its pages. */
  readonly range?: PageRange;
  /** What the coordinator hashed; a worker that reads other bytes fails the file as changed. */
  readonly sha256: string;
  /** The run's settings in Redis (`settingsKey`): models, profile, passes, pages, tier, quotas. */
  readonly settings: string;
  /** Step answers the coordinator already has for this content (by cache key): never asked again. */
  readonly known: Readonly<Record<string, StepResult>>;
}

/**
 * The version of FileJob and FileJobResult: a coordinator uses no result of another (a worker of
 * an older or newer docpool), whatever its shape. 2: a job may be a range of a file's pages, and a
 * result may say the file holds several documents (a worker of version 1 would answer the whole file).
 */
export const QUEUE_PROTOCOL = 2;

/** How a job ended, for the coordinator to validate, commit and write. */
export type FileJobResult =
  | {
      readonly kind: 'failed';
      readonly protocol: number;
      readonly code: FileFailureCode;
      readonly message: string;
      readonly sha256?: string;
      readonly bytes?: number;
    }
  | {
      /** The file holds several documents (each then a job of its own, with its range). */
      readonly kind: 'split';
      readonly protocol: number;
      readonly sha256: string;
      readonly bytes: number;
      readonly pages: number;
      readonly ranges: readonly PageRange[];
      readonly fresh: Readonly<Record<string, StepResult>>;
    }
  | {
      readonly kind: 'answered';
      readonly protocol: number;
      readonly sha256: string;
      readonly bytes: number;
      readonly pages: number;
      readonly answer: Answered;
      /** The file's e-invoice that could not be used, and why (the model answered instead). */
      readonly unusedEInvoice?: EInvoiceNote;
      /** Answers the worker got from the API for this job (by cache key), for the coordinator's cache. */
      readonly fresh: Readonly<Record<string, StepResult>>;
    };

/** A file's job as the coordinator sees its end: the worker's result, or the job itself failed. */
export type RemoteOutcome = FileJobResult | { readonly kind: 'job_failed'; readonly code: 'QUEUE_JOB_FAILED' | 'INTERRUPTED'; readonly message: string };

/** Where a run's settings live; named by their own hash, so equal settings share one key. */
export const settingsKey = (queue: string, hash: string) => `${REDIS_PREFIX}:${queue}:settings:${hash}`;

/** The hash every worker writes its heartbeat into. */
export const workersKey = (queue: string) => `${REDIS_PREFIX}:${queue}:workers`;

/** The shared quota's keys start with this. */
export const quotaPrefix = (queue: string) => `${REDIS_PREFIX}:${queue}`;

/** A job's id: the same content (and pages of it) under the same settings is one job, on every machine. */
export const jobIdFor = (sha256: string, settingsHash: string, range?: PageRange) =>
  range ? `${sha256}-${range.from}-${range.to}-${settingsHash}` : `${sha256}-${settingsHash}`;
