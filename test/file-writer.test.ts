import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileWriter } from '../src/main/output/file-writer.ts';
import { tempDir } from './helpers/temp.ts';

// The chaos suite's 100,000-file run printed MaxListenersExceededWarning: every file finishing
// while the stream was full added its own 'drain' listener.
test('many writers waiting on a full stream share one drain wait; every line lands in order', async () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on('warning', onWarning);
  const path = join(tempDir('writer'), 'out.jsonl');
  const writer = new FileWriter(path);
  const lines = Array.from({ length: 200 }, (_, index) => `${String(index).padStart(3, '0')} ${'x'.repeat(32 * 1024)}\n`);
  await Promise.all(lines.map((line) => writer.write(line)));
  await writer.close();
  await new Promise((resolve) => setImmediate(resolve));
  process.off('warning', onWarning);
  assert.deepEqual(
    warnings.map((warning) => warning.name),
    [],
  );
  assert.equal(readFileSync(path, 'utf8'), lines.join(''));
});
