import type { PrepareFailureCode } from '../workers/protocol.ts';

/**
 * Every code a file's record or a run's stop can carry, in one table: what it means, whether the
 * next run retries it by itself, and what it does to the exit code. The README's failure tables
 * are checked against it (test/failure-codes.test.ts).
 */

interface FileFailure {
  /** The next run of the same command retries the file without being asked (else only with --retry-failed). */
  readonly retryable: boolean;
  /** What happened and what to do, as the README says it. */
  readonly meaning: string;
}

/** A file that failed: the run goes on, and ends with exit 1 ("done, some files failed"). */
export const FILE_FAILURES = {
  FILE_EMPTY: { retryable: false, meaning: 'zero bytes' },
  NOT_A_PDF: { retryable: false, meaning: 'no `%PDF-` header (an HTML error page or office file with a .pdf name)' },
  PDF_TRUNCATED: { retryable: false, meaning: 'the end of the file (its `%%EOF` trailer) is missing: an interrupted download or copy' },
  PDF_CORRUPT: { retryable: false, meaning: 'MuPDF cannot parse the structure, or the page tree is impossible' },
  PDF_ENCRYPTED: { retryable: false, meaning: 'needs a user password' },
  PDF_NO_PAGES: { retryable: false, meaning: 'parses but holds no pages' },
  FILE_TOO_LARGE: { retryable: false, meaning: 'above `--max-file-mb`; not read at all' },
  FILE_NOT_FOUND: { retryable: true, meaning: 'vanished between discovery and reading' },
  FILE_UNREADABLE: { retryable: true, meaning: 'unreadable between discovery and reading' },
  FILE_CHANGED: { retryable: true, meaning: 'the file changed while it was being answered (or between a queue coordinator and its worker reading it)' },
  PDF_TIMEOUT: {
    retryable: true,
    meaning: 'took longer than the per-file deadline (counted from when a thread was free for it); the worker thread was stopped and replaced',
  },
  EINVOICE_INVALID: {
    retryable: false,
    meaning:
      'an XML e-invoice that cannot be used: not well-formed, a DTD, over 8 MB or 64 levels deep, or its invoice number, date, currency or total missing',
  },
  PDF_DECOMPRESSION_BOMB: {
    retryable: false,
    meaning: 'the streams its first pages draw from would inflate past 64 MB (a decompression bomb); measured before MuPDF reads them',
  },
  IMAGE_CORRUPT: {
    retryable: false,
    meaning: 'an image (by its name or its first bytes) that cannot be decoded: damaged, cut short, or not the format its name says',
  },
  IMAGE_TOO_LARGE: {
    retryable: false,
    meaning: 'an image frame over 64 megapixels, refused from its header before decoding (a decompression bomb, or a scan far finer than a document needs)',
  },
  CONTAINER_CORRUPT: { retryable: false, meaning: 'a ZIP, `.eml` or Outlook `.msg` that cannot be parsed (damaged, cut short, or not what its name says)' },
  CONTAINER_TOO_MANY_PARTS: { retryable: false, meaning: 'a ZIP or mail holding more than 1,000 members or attachments: not expanded (split it)' },
  PART_UNSAFE_NAME: {
    retryable: false,
    meaning: 'an archive member whose name would leave its folder (`../x.pdf`, an absolute path): not read, nothing written',
  },
  PART_ENCRYPTED: { retryable: false, meaning: 'an encrypted archive member: needs a password' },
  PART_TOO_LARGE: {
    retryable: false,
    meaning: 'a member or attachment over `--max-file-mb`, or inflating past the size it declares (a ZIP bomb): stopped while inflating',
  },
  PART_CORRUPT: { retryable: false, meaning: 'an archive member whose data is damaged, or a ZIP or mail nested more than 3 deep' },
  PDF_ENGINE_FAULT: { retryable: false, meaning: 'the document broke the PDF engine (a WASM trap: deeply nested or looping content); its thread was replaced' },
  WORKER_CRASHED: {
    retryable: true,
    meaning: 'the worker thread died on this file, twice (a file caught by a thread that died for another file is prepared again)',
  },
  PATH_NOT_FOUND: { retryable: false, meaning: 'found while walking the folders: a path that does not exist' },
  PATH_UNREADABLE: { retryable: true, meaning: 'found while walking the folders: a folder that cannot be read' },
  SYMLINK_LOOP: { retryable: false, meaning: 'found while walking the folders: a link that leads back to itself' },
  NOT_A_FILE: { retryable: false, meaning: 'a named pipe, socket or device with a matching name, never opened' },
  PATH_NOT_UTF8: {
    retryable: false,
    meaning: 'a file or folder name that is not valid UTF-8 (Latin-1 from a Windows share): named with its bytes, not read; rename it',
  },
  PDF_TOO_LARGE_INLINE: { retryable: false, meaning: 'the first pages are over the inline request limit (`--max-inline-mb`; try `--input-mode text`)' },
  API_UNAVAILABLE: { retryable: true, meaning: '503 still after every retry' },
  API_INTERNAL: { retryable: true, meaning: '500 still after every retry' },
  API_TIMEOUT: { retryable: true, meaning: 'no answer within `--request-timeout-ms`, after every retry' },
  API_NETWORK: { retryable: true, meaning: 'the connection failed, after every retry' },
  API_RATE_LIMITED: { retryable: true, meaning: 'still refused for quota after every retry' },
  API_SHED: { retryable: true, meaning: 'a Flex request shed for want of capacity, after every retry' },
  API_BAD_REQUEST: { retryable: false, meaning: 'the API refused the request as invalid' },
  API_ERROR: { retryable: false, meaning: 'the client failed in a way docpool does not know (the message says how)' },
  API_QUOTA_TOO_SMALL: {
    retryable: false,
    meaning: "the request needs more input tokens than the model's whole per-minute limit (`--tpm`, or the limit Google stated): it could never be sent",
  },
  API_BATCH_CREATE_FAILED: { retryable: true, meaning: 'the batch job holding its request could not be created' },
  API_BATCH_FAILED: { retryable: true, meaning: 'every batch job holding its request ended FAILED (`--batch-attempts`)' },
  API_BATCH_EXPIRED: { retryable: true, meaning: 'every batch job holding its request expired unanswered (24 h)' },
  API_BATCH_CANCELLED: { retryable: true, meaning: 'every batch job holding its request was cancelled' },
  API_BATCH_REQUEST_FAILED: { retryable: true, meaning: 'its request failed in every batch job it went through (`--batch-attempts`)' },
  MODEL_OUTPUT_INVALID: { retryable: false, meaning: 'the answer did not match the schema, also with a larger budget' },
  MODEL_BLOCKED: { retryable: false, meaning: 'the model declined to answer (`SAFETY` and similar)' },
  QUEUE_JOB_FAILED: { retryable: true, meaning: 'with `--queue`: no worker could answer its job after three attempts (the message says why)' },
  INTERRUPTED: { retryable: true, meaning: 'its requests were cancelled by a stop' },
} as const satisfies Record<string, FileFailure>;

interface FileSkip {
  /** Why docpool does not read it, as the README says it. */
  readonly meaning: string;
}

/**
 * A file a pattern matched that docpool does not read: one record (status `skipped`) with its reason,
 * and no effect on the exit code, so the default `**\/*.xml` can take in e-invoices without every
 * other XML file failing the run.
 */
export const FILE_SKIPS = {
  NOT_AN_EINVOICE: { meaning: 'an XML file that is not an e-invoice (CII, ZUGFeRD 1.0, UBL Invoice or CreditNote): docpool reads no other XML' },
  PART_NOT_READ: { meaning: 'an attachment or archive member that is no document docpool reads (text, office files, calendar invites)' },
  XML_NOT_READ: { meaning: 'an XML file under `--e-invoice ignore` (or a profile that maps no e-invoice terms): docpool reads XML only as e-invoices' },
} as const satisfies Record<string, FileSkip>;

export type FileSkipCode = keyof typeof FILE_SKIPS;
export type FileFailureCode = keyof typeof FILE_FAILURES | FileSkipCode;

// The worker threads name their own failures (src/workers cannot import the main thread's modules): each must be in the table.
type PrepareCodesInTable = PrepareFailureCode extends FileFailureCode ? true : never;
export const PREPARE_CODES_IN_TABLE: PrepareCodesInTable = true;

interface RunStop {
  /** The process's exit code (3: stopped at once; 4: admission stopped, files in flight finished; 130: a signal). */
  readonly exit: number;
  readonly meaning: string;
}

/** A run that stops as a whole, marking no file failed; the same command goes on from where it stopped. */
export const RUN_STOPS = {
  API_AUTH: { exit: 3, meaning: 'the key was refused (400 `API_KEY_INVALID`, 401, 403); found by the models check, before any file is read' },
  API_MODEL_NOT_FOUND: {
    exit: 3,
    meaning:
      'the model was shut down, does not exist for the key, or does not serve `generateContent`; found before any file is read, and the message names the models the key can use',
  },
  API_PROJECT_REFUSED: { exit: 3, meaning: "400 `FAILED_PRECONDITION`: the project's location or billing" },
  API_REFUSED: { exit: 3, meaning: 'the same 400 for three files: a setting or the endpoint, not the documents' },
  API_UNREACHABLE: { exit: 3, meaning: 'connections refused and no answer yet in this run: a wrong `--base-url`, or no network' },
  OUTPUT_WRITE_FAILED: { exit: 3, meaning: 'the results file could not be written (disk full?)' },
  STATE_WRITE_FAILED: { exit: 3, meaning: 'the state folder could not be written (disk full: under 4 MB free at the start, or full during the run)' },
  API_DAILY_QUOTA: { exit: 4, meaning: 'admission stopped: the per-day quota; files in flight finished' },
  API_SPEND_CAP: { exit: 4, meaning: "admission stopped: Google's spend cap (a 429 about money: raise the cap, top up or wait, as the message says)" },
  BUDGET_REACHED: { exit: 4, meaning: 'admission stopped: `--max-cost`; files in flight finished' },
  API_OUTAGE: { exit: 4, meaning: 'admission stopped: a model down for fifteen quota windows; files in flight finished' },
  INTERRUPTED: { exit: 130, meaning: 'Ctrl-C or SIGTERM: files in flight finished (a second one cancels them)' },
} as const satisfies Record<string, RunStop>;

export type RunStopCode = keyof typeof RUN_STOPS;

/** Whether the next run retries a file that failed with this code by itself. */
export function retriedByItself(code: FileFailureCode): boolean {
  return !isSkip(code) && FILE_FAILURES[code].retryable;
}

/** Whether a file with this code was skipped (not a document docpool reads) rather than failed. */
export function isSkip(code: string): code is FileSkipCode {
  return Object.hasOwn(FILE_SKIPS, code);
}
