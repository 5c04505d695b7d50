/**
 * A Batch API job as docpool keeps it in LMDB. The record is written before the job is created
 * (`intent`), so a run killed between the two finds it again by its display name instead of
 * creating it twice: `batches.create` is not idempotent.
 */
export interface BatchJobRecord {
  /** Unique per job, chosen before creation: how a later run finds it in `batches.list`. */
  readonly displayName: string;
  readonly model: string;
  /** The server's name (`batches/…`), once created. */
  readonly name?: string;
  readonly state: BatchJobState;
  /** The request keys it holds (each a hash of the whole request: document, question, settings). */
  readonly keys: readonly string[];
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Why a job ended without answers (failed, expired, cancelled), as the server said. */
  readonly reason?: string;
}

/**
 * `intent`: committed, maybe not created; PENDING…EXPIRED: the server's states; `collected`: every
 * answer handed to the run; `abandoned`: never created (a kill came first), its requests asked anew.
 */
export type BatchJobState = 'intent' | 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'EXPIRED' | 'collected' | 'abandoned';

/** States in which a job may still give answers: a run re-attaches to these. */
export const LIVE_BATCH_STATES: ReadonlySet<BatchJobState> = new Set(['intent', 'PENDING', 'RUNNING', 'SUCCEEDED']);
