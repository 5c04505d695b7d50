import * as initial from 'mupdf';

/**
 * The emulator's MuPDF, replaceable: a document that traps the WASM (a stack overflow in deeply
 * nested forms, an out-of-bounds access) leaves that instance unusable, and before this one such
 * request made the emulator refuse every later PDF. After a trap a fresh instance is made by
 * evaluating mupdf.js again under another URL (its top level creates the WASM instance); the
 * broken one's memory is left behind, a few MB per trap.
 */
export type Mupdf = typeof initial;

let current: Mupdf = prepared(initial);
let renewing: Promise<void> | undefined;
let generation = 0;
/** The engines a document broke: their objects are never freed (that would run on a broken heap). */
const broken = new WeakSet<Mupdf>();

/** The engine to use now; undefined for the moment a fresh one is being made. */
export function pdfEngine(): Mupdf | undefined {
  return renewing ? undefined : current;
}

/** A WebAssembly trap, or the JS stack running out in MuPDF's glue: the engine failed, not the document's syntax. */
export function isEngineFault(error: unknown): boolean {
  const trap = (globalThis as { WebAssembly?: { RuntimeError?: new () => Error } }).WebAssembly?.RuntimeError;
  return (trap !== undefined && error instanceof trap) || (error instanceof RangeError && /call stack/i.test(error.message));
}

/** Starts making a fresh engine (once, however many requests saw the trap). */
export function replaceEngine(): void {
  broken.add(current);
  if (renewing) return;
  generation++;
  renewing = (import(`${import.meta.resolve('mupdf')}?engine=${generation}`) as Promise<Mupdf>)
    .then((fresh) => {
      current = prepared(fresh);
    })
    .finally(() => {
      renewing = undefined;
    });
}

/**
 * An engine made ready: quiet (MuPDF prints every repair it makes; the emulator's answers say what
 * was wrong), and its objects' release guarded. mupdf.js frees an object through its class's
 * `_drop`, from destroy() or from a FinalizationRegistry when the object is collected; on a broken
 * instance that would trap again, uncaught, long after the request. Wrapped before any object
 * exists (the registries are made from `_drop` on first use), each release is skipped once the
 * engine is broken.
 */
function prepared(engine: Mupdf): Mupdf {
  engine.setLog({ error: () => {}, warning: () => {} });
  for (const value of Object.values(engine)) {
    const owner = value as { _drop?: (pointer: number) => void };
    if (typeof value !== 'function' || !Object.hasOwn(value, '_drop') || typeof owner._drop !== 'function') continue;
    const drop = owner._drop;
    owner._drop = (pointer) => {
      if (!broken.has(engine)) drop(pointer);
    };
  }
  return engine;
}
