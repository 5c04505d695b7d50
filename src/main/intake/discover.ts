import type { Dir, Stats } from 'node:fs';
import { opendir, realpath, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { DEFAULTS } from '../config/defaults.ts';

export type DiscoveryErrorCode = 'PATH_NOT_FOUND' | 'PATH_UNREADABLE' | 'SYMLINK_LOOP' | 'NOT_A_FILE' | 'PATH_NOT_UTF8';

export type Discovered =
  | { readonly kind: 'file'; readonly path: string; readonly size: number; readonly mtimeMs: number; readonly ctimeMs: number; readonly ino: number }
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
 * open directory handles, not collected. Each real file is yielded once: overlapping inputs are
 * reduced to the outermost walk, and a symbolic link is followed only when its target lies outside
 * every input (otherwise the walk reaches the target itself). A link back to a folder already
 * open on the current branch is a loop and is reported, not followed. Unreadable folders and
 * files that vanish mid-walk are reported and the walk goes on.
 *
 * A path given explicitly as a file is always yielded, whatever its extension: the user named it.
 */
export async function* discover(paths: readonly string[], options: DiscoverOptions = {}): AsyncGenerator<Discovered> {
  const matches = picomatch([...(options.include ?? DEFAULTS.include)], { nocase: true, dot: false });
  const roots = await realRoots(paths, matches);
  const folders = roots.filter((root) => root.info?.isDirectory()).map((root) => root.real!);
  // A link to a file outside every input is followed once, however many links lead to it.
  const linkedOutside = new Set<string>();
  const walkedElsewhere = async (path: string, isDirectory: boolean): Promise<boolean> => {
    // A link that cannot be resolved is not walked elsewhere; its stat reports it as a failed path.
    const real = await realpath(path).catch(() => undefined);
    if (real === undefined) return false;
    const owner = folders.find((folder) => isInside(real, folder));
    if (owner !== undefined) return isDirectory || matches(relative(owner, real));
    if (linkedOutside.has(real)) return true;
    linkedOutside.add(real);
    return false;
  };
  for (const root of roots) {
    if (root.coveredBy !== undefined) continue;
    if (!root.info) {
      yield errorEntry(root.path, root.error);
    } else if (root.info.isFile()) {
      yield fileEntry(root.path, root.info);
    } else if (root.info.isDirectory()) {
      yield* walk(root.path, root.info, (path) => matches(relative(root.path, path)), walkedElsewhere);
    } else {
      yield notAFile(root.path, root.info);
    }
  }
}

interface Root {
  readonly path: string;
  readonly real?: string;
  readonly info?: Stats;
  readonly error?: unknown;
  /** Another input that already walks this one (the same folder, or a folder around it). */
  readonly coveredBy?: string;
}

/**
 * The inputs by their real identity: `run dir dir/sub dir/sub/a.pdf` walks `dir` once. An input
 * inside another folder input is dropped when that walk reaches it (a file only if the globs
 * match it there, since a file named on the command line is read whatever its extension).
 */
async function realRoots(paths: readonly string[], matches: (relativePath: string) => boolean): Promise<Root[]> {
  const roots: Root[] = [];
  for (const given of paths) {
    const path = resolve(given);
    try {
      roots.push({ path, real: await realpath(path), info: await stat(path) });
    } catch (error) {
      roots.push({ path, error });
    }
  }
  const seen = new Set<string>();
  return roots.map((root) => {
    if (!root.real || !root.info) return root;
    if (seen.has(root.real)) return { ...root, coveredBy: root.real };
    seen.add(root.real);
    const outer = roots.find(
      (other) => other !== root && other.real && other.info?.isDirectory() && other.real !== root.real && isInside(root.real!, other.real),
    );
    if (!outer) return root;
    if (root.info.isDirectory() || matches(relative(outer.real!, root.real))) return { ...root, coveredBy: outer.path };
    return root;
  });
}

function isInside(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

async function* walk(
  root: string,
  rootInfo: Stats,
  matches: (path: string) => boolean,
  /** For a symbolic link: whether its target is reached by a walk anyway (then the link is not followed). */
  walkedElsewhere: (path: string, isDirectory: boolean) => Promise<boolean>,
): AsyncGenerator<Discovered> {
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
        await frame.dir.close().catch(() => {}); // every entry was read: a failed close loses nothing
        continue;
      }
      // Names are read as bytes: one that is not UTF-8 (Latin-1 from a Windows share or an archive)
      // would come back lossily decoded, fail to stat, and vanish as "deleted since listed".
      const rawName = entry.name as unknown as Buffer;
      const name = utf8(rawName);
      if (name === undefined) {
        const unnamed = await notUtf8(frame.path, rawName, matches);
        if (unnamed) yield unnamed;
        continue;
      }
      const path = join(frame.path, name);
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
        if (entry.isSymbolicLink() && (await walkedElsewhere(path, true))) continue;
        const child = await openFrame(path, info);
        if ('error' in child) yield child.error;
        else stack.push(child.frame);
      } else if (matches(path)) {
        if (entry.isSymbolicLink() && info.isFile() && (await walkedElsewhere(path, false))) continue;
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
    return { frame: { dir: await opendir(path, { bufferSize: 64, encoding: 'buffer' as BufferEncoding }), path, identity: identityOf(info) } };
  } catch (error) {
    return { error: errorEntry(path, error) };
  }
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

function utf8(name: Buffer): string | undefined {
  try {
    return STRICT_UTF8.decode(name);
  } catch {
    return undefined; // not UTF-8: the caller records it as PATH_NOT_UTF8
  }
}

/**
 * A file or folder whose name is not valid UTF-8: reported by name (its bytes read as Latin-1,
 * the usual culprit), never skipped in silence. Node opens paths by their UTF-8 text, so docpool
 * cannot read it under that name; the message says how to rename it. A non-matching file is not
 * reported (it would not have been read anyway).
 */
async function notUtf8(folder: string, rawName: Buffer, matches: (path: string) => boolean): Promise<Discovered | undefined> {
  const shown = join(folder, rawName.toString('latin1'));
  const hex = [...rawName].map((byte) => (byte < 0x80 ? String.fromCharCode(byte) : `\\x${byte.toString(16)}`)).join('');
  let info: Stats;
  try {
    info = await stat(Buffer.concat([Buffer.from(folder + sep), rawName]));
  } catch (error) {
    return isMissing(error) ? undefined : errorEntry(shown, error);
  }
  const fix = `rename it to UTF-8 (e.g. convmv -f latin1 -t utf8 --notest) and run again`;
  if (info.isDirectory())
    return { kind: 'error', path: shown, code: 'PATH_NOT_UTF8', message: `a folder whose name is not valid UTF-8 ("${hex}"); nothing in it was read: ${fix}` };
  if (!matches(shown)) return undefined;
  return { kind: 'error', path: shown, code: 'PATH_NOT_UTF8', message: `the file name is not valid UTF-8 ("${hex}"), so it cannot be opened by name: ${fix}` };
}

function identityOf(info: Stats): string {
  return `${info.dev}:${info.ino}`;
}

function fileEntry(path: string, info: Stats): Discovered {
  return { kind: 'file', path, size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, ino: info.ino };
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
