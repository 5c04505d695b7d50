import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { invalidOption, UsageError } from '../errors.ts';
import { MEDIA_RESOLUTIONS, type MediaResolution } from '../models/catalogue.ts';
import type { StepResolutions } from '../models/request-budget.ts';
import { MAX_TIMER_MS } from './defaults.ts';

/** The command line's parsers: each names its option, what was expected and what came in. */

/** Parses `model=input/output[,…]` (USD per 1M tokens) as used by --price. */
export function parsePrices(option: string, text: string): Record<string, { inputPerMillion: number; outputPerMillion: number }> {
  const result: Record<string, { inputPerMillion: number; outputPerMillion: number }> = {};
  for (const pair of text.split(',')) {
    const match = /^\s*([^=\s]+)=(\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)\s*$/.exec(pair);
    if (!match) throw invalidOption(option, 'model=INPUT/OUTPUT in USD per 1M tokens, e.g. gemini-2.5-flash=0.30/2.50', text);
    result[match[1]!] = { inputPerMillion: Number(match[2]), outputPerMillion: Number(match[3]) };
  }
  return result;
}

/** Reads a JSON object from a file named by an option, with a message that names the option and the file. */
export function readJsonFile(option: string, file: string): Record<string, unknown> {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${option}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('the top level must be an object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`${path}: not valid JSON config (${(error as Error).message})`);
  }
}

/** Parses `model=n[,model=n…]` as used by --rpm, --tpm and --concurrency. */
export function parseModelNumbers(option: string, text: string): Record<string, number> {
  const result: Record<string, number> = {};
  for (const pair of text.split(',')) {
    const [model, value, extra] = pair.split('=');
    const number = Number(value);
    if (!model || value === undefined || extra !== undefined || !Number.isInteger(number) || number <= 0) {
      throw invalidOption(option, 'model=n[,model=n…] with whole numbers above 0, e.g. gemini-2.5-flash=1000', text);
    }
    result[model.trim()] = number;
  }
  return result;
}

/** Parses `step=resolution[,…]` as used by --media-resolution, e.g. `classify=low,extract=medium`. */
export function parseMediaResolutions(option: string, text: string): Partial<Record<keyof StepResolutions, MediaResolution>> {
  const result: Partial<Record<keyof StepResolutions, MediaResolution>> = {};
  for (const pair of text.split(',')) {
    const [step, value, extra] = pair.split('=').map((part) => part.trim().toLowerCase());
    if (
      !step ||
      !value ||
      extra !== undefined ||
      !['classify', 'extract', 'one-pass'].includes(step) ||
      !(MEDIA_RESOLUTIONS as readonly string[]).includes(value)
    ) {
      throw invalidOption(
        option,
        `step=resolution[,…] with steps classify, extract, one-pass and resolutions ${MEDIA_RESOLUTIONS.join(', ')}, e.g. classify=low,extract=medium`,
        text,
      );
    }
    result[step as keyof StepResolutions] = value as MediaResolution;
  }
  return result;
}

/** Parses a number flag above 0, naming the flag when it is not one. */
export function parsePositiveNumber(option: string, text: string): number {
  const number = Number(text);
  if (!Number.isFinite(number) || number <= 0) throw invalidOption(option, 'a number above 0', text);
  return number;
}

/** Parses a duration flag in ms: a whole number above 0 that a timer can hold. */
export function parseMilliseconds(option: string, text: string): number {
  const number = parseWholeNumber(option, text);
  if (number > MAX_TIMER_MS) throw invalidOption(option, `at most ${MAX_TIMER_MS} ms (about 24.8 days), the longest timer Node keeps`, text);
  return number;
}

/** Parses a whole-number flag, naming the flag when it is not one. */
export function parseWholeNumber(option: string, text: string): number {
  const number = Number(text);
  if (!Number.isInteger(number) || number <= 0) throw invalidOption(option, 'a whole number above 0', text);
  return number;
}

/** A TCP port: 0 (any free one) to 65535. */
export function parsePort(text: string): number {
  const number = Number(text);
  if (!Number.isInteger(number) || number < 0 || number > 65_535) throw invalidOption('--port', 'a port number from 0 (any free port) to 65535', text);
  return number;
}

/** MiB, as the size options are given, to bytes. */
export function mebibytes(mb: number): number {
  return mb * 1024 * 1024;
}

/** Parses a share from 0 to 1, naming the flag when it is not one. */
export function parseShare(option: string, text: string): number {
  const number = Number(text);
  if (!Number.isFinite(number) || number < 0 || number > 1) throw invalidOption(option, 'a number from 0 to 1', text);
  return number;
}
