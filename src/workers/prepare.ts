import { createHash } from 'node:crypto';
import { readByRules } from '../offline/rules.ts';
import { readPdfWindow } from './pdf-window.ts';
import { CHARS_PER_TOKEN, type HashResult, PDF_TOKENS_PER_PAGE, type PrepareFailed, type PrepareResult, type PrepareTask } from './protocol.ts';
import { readCandidate, type ReadOutcome } from './read-file.ts';

/** Fewer visible characters than this per page means the window has no usable text layer. */
const MIN_TEXT_CHARS_PER_PAGE = 20;

/**
 * The prepare task of DESIGN §3 as a plain function: read, hash, open, check, take the first
 * pages. It never throws for a bad file; every failure is a coded result. It runs inside a
 * Piscina worker in production and can be called in-process by unit tests.
 */
export async function prepareFile(task: PrepareTask): Promise<PrepareResult> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;

  const read = readCandidate(task.path, task.maxFileBytes);
  if (!read.ok) return readFailed(read, elapsed());
  const data = read.data;
  const sha256 = createHash('sha256').update(data).digest('hex');

  const outcome = readPdfWindow(data, task.pageWindow, task.buildSubset);
  if (!outcome.ok) {
    return { kind: 'failed', code: outcome.code, message: outcome.message, sha256, bytes: data.length, ms: elapsed() };
  }
  const { window } = outcome;
  const visibleChars = window.text.replace(/\s+/g, '').length;
  return {
    kind: 'prepared',
    sha256,
    bytes: data.length,
    pageCount: window.pageCount,
    windowPages: window.windowPages,
    subset: window.subset,
    text: window.text,
    hasTextLayer: visibleChars >= MIN_TEXT_CHARS_PER_PAGE * window.windowPages,
    metadata: window.metadata,
    tokens: {
      pdf: window.windowPages * PDF_TOKENS_PER_PAGE,
      text: Math.ceil(window.text.length / CHARS_PER_TOKEN),
    },
    ...(task.readRules ? { rules: readByRules(window.text) } : {}),
    warnings: window.warnings,
    ms: elapsed(),
  };
}

/** Reads and hashes a file, with the same checks and failure codes as `prepareFile`, and nothing more. */
export function hashFile(task: PrepareTask): HashResult {
  const started = performance.now();
  const read = readCandidate(task.path, task.maxFileBytes);
  const ms = Math.round((performance.now() - started) * 10) / 10;
  if (!read.ok) return readFailed(read, ms);
  return { kind: 'hashed', sha256: createHash('sha256').update(read.data).digest('hex'), bytes: read.data.length, ms };
}

function readFailed(read: Extract<ReadOutcome, { ok: false }>, ms: number): PrepareFailed {
  return { kind: 'failed', code: read.code, message: read.message, ...(read.bytes === undefined ? {} : { bytes: read.bytes }), ms };
}
