import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PreparePool } from '../src/main/pipeline/prepare-pool.ts';
import type { PrepareResult } from '../src/workers/protocol.ts';
import { EXPECTED_DAMAGE, hasSharedCorpus, READABLE_BY_MUPDF, SHARED_CORPUS } from './helpers/shared-corpus.ts';

test(
  'every real PDF in ../shared/corpus is prepared without a crash or hang, damaged ones with their own code',
  { skip: !hasSharedCorpus && 'shared corpus absent' },
  async () => {
    const pool = new PreparePool({ workers: 2, taskTimeoutMs: 20_000 });
    after(() => pool.close());
    const results = new Map<string, PrepareResult>();
    await Promise.all(
      ['invoices', 'general', 'scanned', 'large', 'malformed'].flatMap((folder) =>
        readdirSync(join(SHARED_CORPUS, folder)).map(async (name) => {
          results.set(
            `${folder}/${name}`,
            await pool.prepare({ path: join(SHARED_CORPUS, folder, name), pageWindow: 5, maxFileBytes: 100 * 1024 * 1024, buildSubset: true }),
          );
        }),
      ),
    );
    assert.equal(results.size, 45);
    for (const [file, result] of results) {
      const [folder, name] = file.split('/') as [string, string];
      if (folder === 'malformed' && name !== READABLE_BY_MUPDF) {
        assert.equal(result.kind === 'failed' ? result.code : 'prepared', EXPECTED_DAMAGE[name], file);
      } else {
        assert.equal(result.kind, 'prepared', `${file}: ${result.kind === 'failed' ? result.message : ''}`);
      }
    }
    const large = results.get('large/sample-files__009-pdflatex-geotopo__GeoTopo-komprimiert.pdf');
    assert.ok(large?.kind === 'prepared' && large.pageCount === 117 && large.windowPages === 5);
    for (const [file, result] of results) {
      if (file.startsWith('scanned/')) assert.equal(result.kind === 'prepared' && result.hasTextLayer, false, `${file} has no text layer`);
      if (file.startsWith('invoices/invoice2data')) assert.equal(result.kind === 'prepared' && result.hasTextLayer, true, `${file} has text`);
    }
    assert.equal(pool.stats().crashes + pool.stats().timeouts, 0);
  },
);
