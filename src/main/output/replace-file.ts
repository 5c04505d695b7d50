import { renameSync, rmSync } from 'node:fs';

/**
 * Writes a file whole beside `target` (`<target>.tmp`), then renames it over: an existing file is
 * replaced whole or not at all, and a link left at the working path is removed, never followed.
 */
export async function replaceFile(target: string, write: (temporary: string) => void | Promise<void>): Promise<void> {
  const temporary = `${target}.tmp`;
  rmSync(temporary, { force: true });
  try {
    await write(temporary);
    renameSync(temporary, target);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
