import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { type Discovered, discover } from '../src/main/intake/discover.ts';
import { tempDir } from './helpers/temp.ts';

async function collect(paths: string[], include?: string[]): Promise<Discovered[]> {
  const found: Discovered[] = [];
  for await (const item of discover(paths, include ? { include } : {})) found.push(item);
  return found;
}

test('walks folders recursively, matches .pdf in any case, and yields named files whatever their name', async () => {
  const root = tempDir('walk');
  mkdirSync(join(root, 'a/b/c'), { recursive: true });
  writeFileSync(join(root, 'one.pdf'), '%PDF-');
  writeFileSync(join(root, 'a/two.PDF'), '%PDF-');
  writeFileSync(join(root, 'a/b/c/three.pdf'), '%PDF-');
  writeFileSync(join(root, 'a/notes.txt'), 'x');
  const named = join(root, 'a/notes.txt');
  const found = await collect([root, named]);
  const files = found
    .filter((item) => item.kind === 'file')
    .map((item) => item.path.slice(root.length + 1))
    .sort();
  assert.deepEqual(files, ['a/b/c/three.pdf', 'a/notes.txt', 'a/two.PDF', 'one.pdf']);
  assert.equal(found.filter((item) => item.kind === 'error').length, 0);
});

test('a symlink loop is reported once per link and never followed forever', async () => {
  const root = tempDir('loop');
  mkdirSync(join(root, 'docs/inner'), { recursive: true });
  writeFileSync(join(root, 'docs/inner/x.pdf'), '%PDF-');
  symlinkSync(join(root, 'docs'), join(root, 'docs/inner/back-to-docs'));
  symlinkSync(join(root, 'self-loop'), join(root, 'self-loop')); // ELOOP on stat
  const found = await collect([root]);
  const files = found.filter((item) => item.kind === 'file');
  const loops = found.filter((item) => item.kind === 'error' && item.code === 'SYMLINK_LOOP');
  assert.equal(files.length, 1);
  assert.equal(loops.length, 2);
});

test('missing paths and dangling links are reported, and the walk goes on', async () => {
  const root = tempDir('missing');
  writeFileSync(join(root, 'ok.pdf'), '%PDF-');
  symlinkSync(join(root, 'gone.pdf'), join(root, 'dangling.pdf'));
  const found = await collect([join(root, 'nope'), root]);
  assert.deepEqual(found.map((item) => (item.kind === 'file' ? 'file' : item.code)).sort(), ['PATH_NOT_FOUND', 'PATH_NOT_FOUND', 'file']);
});

test('custom include globs replace the default', async () => {
  const root = tempDir('globs');
  mkdirSync(join(root, 'in'), { recursive: true });
  writeFileSync(join(root, 'in/a.pdf'), '%PDF-');
  writeFileSync(join(root, 'b.pdf'), '%PDF-');
  const found = await collect([root], ['in/**']);
  assert.deepEqual(
    found.map((item) => item.path.slice(root.length + 1)),
    ['in/a.pdf'],
  );
});

test('discovery streams: the first file arrives before a large tree is listed', async () => {
  const root = tempDir('stream');
  for (let folder = 0; folder < 20; folder++) {
    mkdirSync(join(root, `f${folder}`));
    for (let file = 0; file < 100; file++) writeFileSync(join(root, `f${folder}`, `${file}.pdf`), '');
  }
  const walk = discover([root]);
  const first = await walk.next();
  assert.equal(first.done, false);
  await walk.return(undefined); // an early stop closes open folders without error
  let count = 0;
  for await (const item of discover([root])) if (item.kind === 'file') count++;
  assert.equal(count, 2000);
});

test('a named pipe with a .pdf name is reported as NOT_A_FILE and never opened (reading one would block)', async () => {
  const root = tempDir('fifo');
  writeFileSync(join(root, 'real.pdf'), '%PDF-');
  execFileSync('mkfifo', [join(root, 'pipe.pdf')]);
  // Found by the walk, and named on the command line: the same pipe either way, reported once each run.
  const walked = await collect([root]);
  const named = await collect([join(root, 'pipe.pdf')]);
  assert.deepEqual(
    walked.filter((item) => item.kind === 'file').map((item) => item.path),
    [join(root, 'real.pdf')],
  );
  const pipes = [...walked, ...named].filter((item) => item.kind === 'error');
  assert.deepEqual(
    pipes.map((item) => item.kind === 'error' && item.code),
    ['NOT_A_FILE', 'NOT_A_FILE'],
  );
  assert.match(pipes[0]!.kind === 'error' ? pipes[0]!.message : '', /named pipe/);
});

test('overlapping inputs and symbolic links give each real file once', async () => {
  const root = tempDir('overlap');
  mkdirSync(join(root, 'sub'));
  writeFileSync(join(root, 'top.pdf'), '%PDF-');
  writeFileSync(join(root, 'sub', 'a.pdf'), '%PDF-');
  writeFileSync(join(root, 'sub', 'b.pdf'), '%PDF-');
  symlinkSync(join(root, 'sub', 'a.pdf'), join(root, 'link-to-a.pdf'));
  symlinkSync(join(root, 'sub'), join(root, 'link-to-sub'));
  const outside = tempDir('outside');
  writeFileSync(join(outside, 'far.pdf'), '%PDF-');
  symlinkSync(join(outside, 'far.pdf'), join(root, 'far-1.pdf'));
  symlinkSync(join(outside, 'far.pdf'), join(root, 'sub', 'far-2.pdf'));
  const found = await collect([root, join(root, 'sub'), join(root, 'sub', 'a.pdf'), `${root}/./sub/../sub`]);
  const files = found
    .filter((item) => item.kind === 'file')
    .map((item) => relative(root, item.path))
    .sort();
  // a.pdf and sub/ are walked where they really are; the file outside the inputs once, under one of its links.
  assert.equal(files.length, 4, files.join(', '));
  assert.deepEqual(
    files.filter((file) => !file.includes('far')),
    ['sub/a.pdf', 'sub/b.pdf', 'top.pdf'],
  );
});
