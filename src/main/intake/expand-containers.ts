import { CONTAINER_NAME } from '../../workers/containers/container-names.ts';
import type { ExpandResult, ListedPart, PrepareFailed } from '../../workers/protocol.ts';
import type { Discovered } from './discover.ts';

type FoundFile = Extract<Discovered, { kind: 'file' }>;

/** A document inside a file (an attachment, an archive member), as the file's listing gave it. */
export type PartItem = Omit<FoundFile, 'kind'> & { readonly kind: 'part'; readonly part: ListedPart };
/** A ZIP or mail that could not be listed: one failed record for the file. */
export type ContainerFailure = Omit<FoundFile, 'kind'> & { readonly kind: 'container-failed'; readonly failure: PrepareFailed };

/** What the pipeline takes in: files, walk errors, and the parts of containers. */
export type Intake = Discovered | PartItem | ContainerFailure;

/**
 * Files as documents: a ZIP, an .eml or an .msg is listed (in a worker thread) and stands for each
 * document it holds, one item a part; every other item passes as it came.
 */
export async function* expandContainers(source: AsyncIterable<Discovered>, expand: (path: string) => Promise<ExpandResult>): AsyncGenerator<Intake> {
  for await (const item of source) {
    if (item.kind !== 'file' || !CONTAINER_NAME.test(item.path)) {
      yield item;
      continue;
    }
    const listed = await expand(item.path);
    if (listed.kind === 'failed') {
      yield { ...item, kind: 'container-failed', failure: listed };
      continue;
    }
    for (const part of listed.parts) yield { ...item, kind: 'part', part };
  }
}

/** The key a part's state is kept under: the file's path, then the part's index. */
export function partKey(path: string, index: string): string {
  return `${path}\u0000${index}`;
}
