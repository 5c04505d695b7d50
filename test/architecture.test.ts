import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The layout's promises, checked on the source itself: the folders say the flow only while no
 * file imports against it. Type-only imports count: a cycle of types is still a knot to untie.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx|mjs)$/.test(name) ? [path] : [];
  });
}

/** Every relative module a file names: static imports, re-exports, dynamic imports. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)'(\.{1,2}\/[^']+)'/gm)].map((match) => match[1]!);
  return specifiers.map((specifier) => resolve(dirname(file), specifier));
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((file) => [file, importsOf(file)]));
const name = (file: string) => relative(ROOT, file);

test('no file in src/ imports scripts/, bench/ or test/', () => {
  const offending = [...graph].flatMap(([file, targets]) =>
    targets.filter((target) => !target.startsWith(SRC + '/')).map((target) => `${name(file)} → ${name(target)}`),
  );
  assert.deepEqual(offending, []);
});

test('src/ has no import cycle', () => {
  // Tarjan's strongly connected components: any component of more than one file is a cycle.
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (file: string) => {
    indexOf.set(file, index);
    low.set(file, index++);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!graph.has(target)) continue;
      if (!indexOf.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, indexOf.get(target)!));
      }
    }
    if (low.get(file) === indexOf.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(name(member));
      } while (member !== file);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const file of files) if (!indexOf.has(file)) visit(file);
  assert.deepEqual(cycles, []);
});

test('every relative import names a file that exists', () => {
  const missing = [...graph].flatMap(([file, targets]) => targets.filter((target) => !graph.has(target)).map((target) => `${name(file)} → ${name(target)}`));
  assert.deepEqual(missing, []);
});

test('src/main keeps at most a dozen files at its top level: the rest live in folders by the flow', () => {
  const topLevel = readdirSync(join(SRC, 'main')).filter((entry) => statSync(join(SRC, 'main', entry)).isFile());
  assert.ok(topLevel.length <= 12, `src/main has ${topLevel.length} files at its top: ${topLevel.join(', ')}`);
});

test('the emulator is independent: it imports nothing from docpool (src/main, src/offline, src/corpus, src/workers)', () => {
  const emulator = join(SRC, 'emulator');
  const offending = [...graph]
    .filter(([file]) => file.startsWith(emulator + '/'))
    .flatMap(([file, targets]) => targets.filter((target) => !target.startsWith(emulator + '/')).map((target) => `${name(file)} → ${name(target)}`));
  assert.deepEqual(offending, []);
});

test('the pipeline knows answer routes, not what is behind them: it imports nothing of the queue, batch mode or Gemini', () => {
  const pipeline = join(SRC, 'main', 'pipeline');
  const behind = ['queue', join('providers', 'batch'), join('providers', 'gemini')].map((folder) => join(SRC, 'main', folder) + '/');
  const offending = [...graph]
    .filter(([file]) => file.startsWith(pipeline + '/'))
    .flatMap(([file, targets]) =>
      targets.filter((target) => behind.some((folder) => target.startsWith(folder))).map((target) => `${name(file)} → ${name(target)}`),
    );
  assert.deepEqual(offending, []);
});

test('only the step plan asks for fingerprints (the providers define them; GeminiProvider hands on its own)', () => {
  const plan = join(SRC, 'main', 'pipeline', 'step-plan.ts');
  const definers = [join(SRC, 'main', 'providers', 'gemini', 'gemini-provider.ts')];
  const offending = files
    .filter((file) => file !== plan && !definers.includes(file))
    .filter((file) => /\.(classify|extract|onePass)Fingerprint\(/.test(readFileSync(file, 'utf8')))
    .map(name);
  assert.deepEqual(offending, []);
});
