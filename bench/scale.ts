/**
 * Scale: peak RSS and event-loop p99 of a run over N files. The files are hard links to a small
 * generated set (every path is still discovered, stat'ed, read, hashed and written out), with the
 * offline provider, so the pipeline itself — not the API — is what grows.
 */
import { linkSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifest } from '../src/corpus/generate.ts';
import { docpool, scratch, summaryOf } from './harness.ts';

export interface ScaleRow {
  readonly files: number;
  readonly filesPerSecond: number;
  readonly peakRssMb: number;
  /**
   * The most anonymous memory (heap, WASM, buffers) the process held, sampled every 100 ms from
   * /proc by the bench, outside the measured process. The rest of the RSS is file pages mapped in
   * (LMDB's map, the code), which the kernel takes back under pressure.
   */
  readonly peakAnonMb: number;
  readonly eventLoopP99Ms: number;
}

export async function scaleRun(source: string, files: number): Promise<ScaleRow> {
  const work = scratch('scale');
  try {
    const tree = hardLinkTree(source, files, join(work, 'tree'));
    let peakAnonKb = 0;
    let sampler: NodeJS.Timeout | undefined;
    const run = await docpool(
      ['run', tree, '-o', join(work, 'out.jsonl'), '--db', join(work, 'db'), '--provider', 'offline', '--no-tui'],
      { GEMINI_API_KEY: '', GOOGLE_API_KEY: '' },
      {
        onSpawn: (child) => {
          sampler = setInterval(() => {
            peakAnonKb = Math.max(peakAnonKb, anonKb(child.pid));
          }, 100);
        },
      },
    ).finally(() => clearInterval(sampler));
    const summary = summaryOf(run);
    return {
      files,
      filesPerSecond: Math.round(summary.filesPerSecond),
      peakRssMb: summary.peakRssMb,
      peakAnonMb: Math.round(peakAnonKb / 1024),
      eventLoopP99Ms: summary.eventLoopP99Ms,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A process's anonymous resident memory now, KB (0 once it has gone). */
function anonKb(pid: number | undefined): number {
  try {
    return Number(/RssAnon:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** `files` paths under `tree`, a thousand to a folder, each a hard link to one of the source corpus's files. */
export function hardLinkTree(source: string, files: number, tree: string): string {
  const originals = parseManifest(readFileSync(join(source, 'manifest.jsonl'), 'utf8')).map((entry) => join(source, entry.file));
  for (let index = 0; index < files; index++) {
    const folder = join(tree, `f${Math.floor(index / 1000)}`);
    if (index % 1000 === 0) mkdirSync(folder, { recursive: true });
    linkSync(originals[index % originals.length]!, join(folder, `${index}.pdf`));
  }
  return tree;
}
