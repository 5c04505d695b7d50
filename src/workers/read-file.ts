import { readFile, stat } from 'node:fs/promises';
import type { PrepareFailureCode } from './protocol.ts';

export type ReadOutcome =
  | { readonly ok: true; readonly data: Buffer }
  | { readonly ok: false; readonly code: PrepareFailureCode; readonly message: string; readonly bytes?: number };

/**
 * Reads a whole file for preparation, turning every way that can fail into a coded outcome.
 * The size is checked from `stat` first so a huge file is refused without being read.
 */
export async function readCandidate(path: string, maxFileBytes: number): Promise<ReadOutcome> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return { ok: false, code: 'FILE_UNREADABLE', message: 'not a regular file' };
    if (info.size === 0) return { ok: false, code: 'FILE_EMPTY', message: 'the file is empty (0 bytes)', bytes: 0 };
    if (info.size > maxFileBytes) {
      return {
        ok: false,
        code: 'FILE_TOO_LARGE',
        message: `${formatMiB(info.size)} is over the ${formatMiB(maxFileBytes)} limit (raise --max-file-mb to include it)`,
        bytes: info.size,
      };
    }
    const data = await readFile(path);
    // The file may have shrunk to nothing between stat and read.
    if (data.length === 0) return { ok: false, code: 'FILE_EMPTY', message: 'the file is empty (0 bytes)', bytes: 0 };
    return { ok: true, data };
  } catch (error) {
    return { ok: false, ...classifyFsError(error) };
  }
}

function classifyFsError(error: unknown): { code: PrepareFailureCode; message: string } {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return { code: 'FILE_NOT_FOUND', message: 'the file disappeared before it could be read' };
  if (code === 'EACCES' || code === 'EPERM') return { code: 'FILE_UNREADABLE', message: 'permission denied' };
  if (code === 'EISDIR') return { code: 'FILE_UNREADABLE', message: 'a directory, not a file' };
  return { code: 'FILE_UNREADABLE', message: `cannot read the file (${code ?? String(error)})` };
}

function formatMiB(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
