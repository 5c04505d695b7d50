import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../errors.ts';

/**
 * Checks an output path (-o) before any work: its folder exists and can be written in, and the
 * name is not a folder. `expected` says what a good -o looks like.
 */
export function checkOutputPath(path: string, given: string, expected: string): void {
  const folder = dirname(path);
  let isFolder: boolean;
  try {
    isFolder = statSync(folder).isDirectory();
  } catch {
    throw new UsageError(`--out: the folder ${folder} does not exist; create it or give -o a path in an existing folder (got "${given}")`);
  }
  if (!isFolder) throw new UsageError(`--out: ${folder} is not a folder (got "${given}")`);
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    throw new UsageError(`--out: cannot write in ${folder} (permission denied); choose another -o`);
  }
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`--out: ${path} is a folder; give ${expected}`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
  }
}
