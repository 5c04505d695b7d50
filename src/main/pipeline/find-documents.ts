import { type Bundle, type PageRange, PDF_TOKENS_PER_PAGE, type PreparedFile } from '../../workers/protocol.ts';
import { cueResult, oneDocument, rangesOf } from './split-documents.ts';
import type { StepPlan } from './step-plan.ts';
import type { Resolved, StepResolver } from './step-resolver.ts';

/**
 * The documents in a prepared file when it holds several (each then answered on its own pages),
 * else undefined: for a local run and a queue's worker alike. A file the worker found may hold
 * several (`bundle`) is split. One it did not look at though it is above the threshold (a usable
 * e-invoice, an image's frames, pages too costly to read), and a part (whose pages are unknown
 * until it is read), has a split of one document kept, so a re-run finds its answers by its stat
 * or hash without reading it.
 */
export async function severalDocumentsIn(
  document: { readonly part?: unknown; readonly range?: PageRange },
  prepared: PreparedFile,
  plan: StepPlan,
  resolver: StepResolver,
): Promise<readonly PageRange[] | SplitFailed | undefined> {
  // An e-invoice is one document, whatever its pages hold.
  if (prepared.bundle && !plan.answersFromEInvoice(prepared.einvoice)) {
    const ranges = await splitOf(prepared, prepared.bundle, plan, resolver);
    return 'code' in ranges || ranges.length > 1 ? ranges : undefined;
  }
  if (!document.range && (document.part ? plan.splitAbove !== undefined : plan.splits(prepared.pageCount)))
    await resolver.cache.putResult(plan.key(prepared.sha256, 'split'), oneDocument(prepared.pageCount));
  return undefined;
}

/** A split the model could not give yet (a stop, an outage, quota): the file waits for the next run, whole. */
export type SplitFailed = Extract<Resolved, { ok: false }>;

/**
 * Where the documents in a file's pages start and end: from the stored split, else the page cues
 * when they are sure (a counter on every page) or no model answers, else the model. A split the
 * model cannot give (a refusal, an answer that stays invalid) falls back to the cues, unstored, so
 * a later run asks again; one it could not give yet fails the file, retried by the next run, so no
 * document is answered on ranges another run would draw otherwise.
 */
async function splitOf(prepared: PreparedFile, bundle: Bundle, plan: StepPlan, resolver: StepResolver): Promise<readonly PageRange[] | SplitFailed> {
  const provider = plan.provider;
  const byCues = () => cueResult(bundle, prepared.pageCount);
  const outcome = await resolver.resolve('classifying', plan.key(prepared.sha256, 'split'), { step: 'split' }, async () =>
    bundle.cues.sure || !provider.split
      ? { ok: true, result: byCues() }
      : provider.split({
          subset: bundle.subset,
          text: '',
          hasTextLayer: false,
          tokens: { pdf: bundle.pages * PDF_TOKENS_PER_PAGE, text: 0 },
          windowPages: bundle.pages,
          filePages: prepared.pageCount,
        }),
  );
  if (!outcome.ok && outcome.retryable) return outcome;
  return rangesOf(outcome.ok ? outcome.result : byCues());
}
