import type { GoogleGenAI } from '@google/genai';
import { classifyApiFailure } from './api-failure.ts';

/** What Google says of a model it serves (the v1beta Model resource, as the SDK returns it). */
export interface ServedModel {
  /** The id to send, without `models/`. */
  readonly id: string;
  readonly displayName?: string;
  readonly inputTokenLimit?: number;
  readonly outputTokenLimit?: number;
  /** `supportedGenerationMethods` (the SDK calls them supportedActions). */
  readonly methods: readonly string[];
}

/** A question about models answered, or why not: the model is not served, the key is refused, or the endpoint does not serve the models API (a proxy). */
export type DirectoryAnswer<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'not_found'; readonly message: string }
  | { readonly kind: 'refused'; readonly code: string; readonly message: string }
  | { readonly kind: 'unavailable'; readonly message: string };

/** Pages of models.list asked for at once (Google lists ~50 models; 1,000 is the API's largest page). */
const PAGE_SIZE = 1000;
/** Guard against an endpoint that pages for ever. */
const MAX_PAGES = 20;

/** Google's own 404 for a model it does not serve (captured bodies: "models/X is not found for API version v1beta, or is not supported for …"). */
const MODEL_NOT_FOUND = /is not found for API version/;

/** `models.get`: the model as Google serves it. */
export async function getServedModel(ai: GoogleGenAI, model: string): Promise<DirectoryAnswer<ServedModel>> {
  try {
    return { kind: 'ok', value: servedModel(await ai.models.get({ model })) };
  } catch (error) {
    return failed(error);
  }
}

/** `models.list`, every page: what the key can use. */
export async function listServedModels(ai: GoogleGenAI): Promise<DirectoryAnswer<ServedModel[]>> {
  try {
    const models: ServedModel[] = [];
    let pager = await ai.models.list({ config: { pageSize: PAGE_SIZE } });
    for (let page = 1; ; page++) {
      models.push(...pager.page.map(servedModel));
      if (!pager.hasNextPage() || page >= MAX_PAGES) break;
      await pager.nextPage();
    }
    return { kind: 'ok', value: models };
  } catch (error) {
    return failed(error);
  }
}

function servedModel(model: {
  name?: string;
  displayName?: string;
  inputTokenLimit?: number;
  outputTokenLimit?: number;
  supportedActions?: string[];
}): ServedModel {
  return {
    id: (model.name ?? '').replace(/^models\//, ''),
    ...(model.displayName ? { displayName: model.displayName } : {}),
    ...(model.inputTokenLimit ? { inputTokenLimit: model.inputTokenLimit } : {}),
    ...(model.outputTokenLimit ? { outputTokenLimit: model.outputTokenLimit } : {}),
    methods: model.supportedActions ?? [],
  };
}

function failed(error: unknown): DirectoryAnswer<never> {
  const failure = classifyApiFailure(error);
  if (failure.kind === 'fatal' && failure.code === 'API_MODEL_NOT_FOUND' && MODEL_NOT_FOUND.test(failure.message))
    return { kind: 'not_found', message: failure.message };
  if (failure.kind === 'fatal' && failure.code !== 'API_MODEL_NOT_FOUND') return { kind: 'refused', code: failure.code, message: failure.message };
  // Anything else (another 404, a 405, HTML, a refused connection) is an endpoint that does not answer
  // this question; the run itself will find out whether it answers generateContent.
  return { kind: 'unavailable', message: 'message' in failure ? failure.message : String(error) };
}
