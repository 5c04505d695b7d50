import type { GoogleGenAI } from '@google/genai';
import { RunRefused } from '../../errors.ts';
import { shutDownBy } from '../../models/catalogue.ts';
import { getServedModel, listServedModels, type ServedModel } from './model-directory.ts';

/** A model the run will ask, and the flag that chose it (so a message can say what to change). */
export interface ModelRole {
  readonly model: string;
  readonly flag: string;
}

/** The method the run needs of every model: online answers, or batch jobs. */
export type NeededMethod = 'generateContent' | 'batchGenerateContent';

/**
 * Asks Google about each model before the first file is read (DESIGN §13): a model past its
 * shutdown date is refused from docpool's table without a request; then `models.get` must find
 * it serving the method the run needs. A refusal names the models the key can use. An endpoint
 * that does not serve the models API (a proxy) gets a warning and the run goes on. Returns what
 * Google said of each model (its token limits), keyed by model.
 */
export async function preflightModels(
  ai: GoogleGenAI,
  roles: readonly ModelRole[],
  method: NeededMethod,
  today: string,
  warn: (message: string) => void,
): Promise<Map<string, ServedModel>> {
  const served = new Map<string, ServedModel>();
  for (const { model, flag } of roles) {
    const retired = shutDownBy(model, today);
    if (retired) {
      const instead = retired.replacement ? `; its replacement is ${retired.replacement} (${flag} ${retired.replacement})` : '';
      throw new RunRefused(`${flag} ${model}: Google shut ${model} down on ${retired.on}${instead}`);
    }
  }
  for (const { model, flag } of roles) {
    if (served.has(model)) continue;
    const answer = await getServedModel(ai, model);
    if (answer.kind === 'refused') throw new RunRefused(`run stopped before reading any file: ${answer.message}; nothing was marked failed`);
    if (answer.kind === 'unavailable') {
      warn(`docpool: the endpoint did not answer models.get (${answer.message}); going on without checking the models\n`);
      return served;
    }
    if (answer.kind === 'not_found') throw new RunRefused(`${flag} ${model}: Google does not serve it to this key. ${await usableModels(ai, method)}`);
    if (!answer.value.methods.includes(method))
      throw new RunRefused(`${flag} ${model}: Google serves it, but not for ${method}. ${await usableModels(ai, method)}`);
    served.set(model, answer.value);
  }
  return served;
}

/** "Models this key can use for …: a, b, c", from models.list (or why that list could not be had). */
async function usableModels(ai: GoogleGenAI, method: NeededMethod): Promise<string> {
  const listed = await listServedModels(ai);
  if (listed.kind !== 'ok') return `(models.list did not answer: ${listed.message}; see docpool models)`;
  const ids = listed.value.filter((model) => model.methods.includes(method)).map((model) => model.id);
  return ids.length === 0 ? `This key can use no model for ${method}.` : `Models this key can use for ${method}: ${ids.join(', ')} (see docpool models)`;
}
