/**
 * `npm run corpus -- <dir> [--count N] [--seed S] [--max-pages P]`: the corpus generator as a
 * script; the same as `docpool corpus`.
 */
import { parseArgs } from 'node:util';
import { generateCorpus } from '../src/corpus/generate.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { count: { type: 'string', default: '200' }, seed: { type: 'string', default: '1' }, 'max-pages': { type: 'string', default: '500' } },
});
const dir = positionals[0];
const count = Number(values.count);
const seed = Number(values.seed);
const maxPages = Number(values['max-pages']);
if (!dir || ![count, seed, maxPages].every((value) => Number.isInteger(value) && value > 0)) {
  process.stderr.write('usage: make-corpus <dir> [--count N] [--seed S] [--max-pages P]   (whole numbers above 0)\n');
  process.exit(2);
}
const summary = await generateCorpus({ dir, count, seed, maxPages });
process.stderr.write(`wrote ${summary.files} files (${summary.pages} pages, ${summary.damaged} damaged) to ${dir} in ${(summary.ms / 1000).toFixed(1)} s\n`);
