import type { Dir, Stats } from 'node:fs';
import { opendir, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import picomatch from 'picomatch';

export type DiscoveryErrorCode = 'PATH_NOT_FOUND' | 'PATH_UNREADABLE' | 'SYMLINK_LOOP' | 'NOT_A_FILE';

export type Discovered =
  | { readonly kind: 'file'; readonly path: string; readonly size: number; readonly mtimeMs: number; readonly ino: number }
  | { readonly kind: 'error'; readonly path: string; readonly code: DiscoveryErrorCode; readonly message: string };

export interface DiscoverOptions {
  /** Globs matched against the path relative to each root folder, case-insensitively. Default `['**\/*.pdf']`. */
  readonly include?: readonly string[];
}

/** One open directory on the walk: its handle, and the identity used to spot a loop back to it. */
interface Frame {
  readonly dir: Dir;
  readonly path: string;
  readonly identity: string;
}

/**
 * Walks the given files and folders depth-first and yields every matching file as it is found.
 * Memory is bounded by the folder depth, never by the number of files: paths are streamed from
 * open directory handles, not collected. Symlinks are followed; a link back to a folder already
 * open on the current branch is a loop and is reported, not followed. Unreadable folders and
 * files that vanish mid-walk are reported and the walk goes on.
 *
 * A path given explicitly as a file is always yielded, whatever its extension: the user named it.
 */
export async function* discover(paths: readonly string[], options: DiscoverOptions = {}): AsyncGenerator<Discovered> {
  const matches = picomatch([...(options.include ?? ['**/*.pdf'])], { nocase: true, dot: false });
  for (const given of paths) {
    const root = resolve(given);
    let info: Stats;
    try {
      info = await stat(root);
    } catch (error) {
      yield errorEntry(root, error);
      continue;
    }
    if (info.isFile()) {
      yield fileEntry(root, info);
    } else if (info.isDirectory()) {
      yield* walk(root, info, (path) => matches(relative(root, path)));
    } else {
      yield notAFile(root, info);
    }
  }
}

async function* walk(root: string, rootInfo: Stats, matches: (path: string) => boolean): AsyncGenerator<Discovered> {
  const stack: Frame[] = [];
  const opened = await openFrame(root, rootInfo);
  if ('error' in opened) {
    yield opened.error;
    return;
  }
  stack.push(opened.frame);
  try {
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      let entry;
      try {
        entry = await frame.dir.read();
      } catch (error) {
        yield errorEntry(frame.path, error);
        entry = null;
      }
      if (entry === null) {
        stack.pop();
        await frame.dir.close().catch(() => {});
        continue;
      }
      const path = join(frame.path, entry.name);
      let info: Stats;
      try {
        info = await stat(path); // follows symlinks
      } catch (error) {
        // A dangling link or a file deleted since the folder was listed.
        if (entry.isSymbolicLink() || !isMissing(error)) yield errorEntry(path, error);
        continue;
      }
      if (info.isDirectory()) {
        const identity = identityOf(info);
        if (stack.some((open) => open.identity === identity)) {
          yield { kind: 'error', path, code: 'SYMLINK_LOOP', message: 'a symbolic link leads back to a folder above it; not followed' };
          continue;
        }
        const child = await openFrame(path, info);
        if ('error' in child) yield child.error;
        else stack.push(child.frame);
      } else if (matches(path)) {
        // A named pipe or device with a .pdf name is reported, never opened: reading one could block forever.
        yield info.isFile() ? fileEntry(path, info) : notAFile(path, info);
      }
    }
  } finally {
    // The consumer may stop early (a graceful stop); close whatever is still open.
    for (const frame of stack) await frame.dir.close().catch(() => {});
  }
}

function notAFile(path: string, info: Stats): Discovered {
  const kind = info.isFIFO() ? 'a named pipe' : info.isSocket() ? 'a socket' : info.isCharacterDevice() || info.isBlockDevice() ? 'a device' : 'a special file';
  return { kind: 'error', path, code: 'NOT_A_FILE', message: `${kind}, not a regular file; not read` };
}

async function openFrame(path: string, info: Stats): Promise<{ frame: Frame } | { error: Discovered }> {
  try {
    return { frame: { dir: await opendir(path, { bufferSize: 64 }), path, identity: identityOf(info) } };
  } catch (error) {
    return { error: errorEntry(path, error) };
  }
}

function identityOf(info: Stats): string {
  return `${info.dev}:${info.ino}`;
}

function fileEntry(path: string, info: Stats): Discovered {
  return { kind: 'file', path, size: info.size, mtimeMs: info.mtimeMs, ino: info.ino };
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

function errorEntry(path: string, error: unknown): Discovered {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return { kind: 'error', path, code: 'PATH_NOT_FOUND', message: 'no such file or folder' };
  if (code === 'ELOOP') return { kind: 'error', path, code: 'SYMLINK_LOOP', message: 'too many levels of symbolic links' };
  if (code === 'EACCES' || code === 'EPERM') return { kind: 'error', path, code: 'PATH_UNREADABLE', message: 'permission denied' };
  return { kind: 'error', path, code: 'PATH_UNREADABLE', message: `cannot read (${code ?? String(error)})` };
}
