import { mkdirSync } from 'node:fs';
import { type Database, open, type RootDatabase } from 'lmdb';
import { UsageError } from './errors.ts';

/** Layout version of the state folder; a different one is refused, never misread. */
export const STORE_LAYOUT = 1;
const STORE_TAG = 'docpool-state';

export interface TokenUsage {
  readonly input: number;
  readonly output: number;
  readonly thinking: number;
  readonly costUsd: number;
}

/** A committed answer for one stage of one content hash. */
export interface StageResult {
  readonly stage: 'classify' | 'extract';
  readonly source: 'gemini' | 'offline';
  readonly model: string;
  readonly label?: string;
  readonly confidence?: number;
  readonly fields?: Readonly<Record<string, unknown>>;
  readonly usage: TokenUsage;
  readonly at: number;
}

/**
 * The one owner of the LMDB state folder (DESIGN §5). Writes go through lmdb-js's batched async
 * transactions; callers await them before counting a file done, so a crash never loses work
 * that was reported as finished.
 */
export class Store {
  readonly #root: RootDatabase;
  readonly #results: Database<StageResult, string>;

  private constructor(root: RootDatabase) {
    this.#root = root;
    this.#results = root.openDB<StageResult, string>({ name: 'results' });
  }

  static open(dir: string): Store {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new UsageError(`--db: cannot create the state folder ${dir} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    let root: RootDatabase;
    try {
      root = open({ path: dir, maxDbs: 8, compression: false });
    } catch (error) {
      throw new UsageError(`--db: ${dir} is not a usable docpool state folder (${(error as Error).message})`);
    }
    const meta = root.openDB<{ tag: string; layout: number }, string>({ name: 'meta' });
    const layout = meta.get('layout');
    if (layout === undefined) {
      meta.putSync('layout', { tag: STORE_TAG, layout: STORE_LAYOUT });
    } else if (layout.tag !== STORE_TAG || layout.layout !== STORE_LAYOUT) {
      root.close();
      throw new UsageError(`--db: ${dir} holds state layout ${JSON.stringify(layout)}, this docpool reads layout ${STORE_LAYOUT}; use another --db folder`);
    }
    return new Store(root);
  }

  getResult(key: string): StageResult | undefined {
    return this.#results.get(key);
  }

  /** Resolves once the result is durably committed. */
  async putResult(key: string, result: StageResult): Promise<void> {
    await this.#results.put(key, result);
  }

  resultCount(): number {
    return this.#results.getCount();
  }

  async close(): Promise<void> {
    await this.#root.close();
  }
}
