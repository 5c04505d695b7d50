import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The real-PDF corpus beside the project; tests that use it skip when it is absent. */
export const SHARED_CORPUS = fileURLToPath(new URL('../../../shared/corpus', import.meta.url));
export const hasSharedCorpus = existsSync(`${SHARED_CORPUS}/MANIFEST.tsv`);
