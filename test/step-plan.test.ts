import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Config, loadConfig } from '../src/main/config/schema.ts';
import { askSteps } from '../src/main/pipeline/answer-steps.ts';
import { type Passes, StepPlan } from '../src/main/pipeline/step-plan.ts';
import { StepResolver } from '../src/main/pipeline/step-resolver.ts';
import { loadProfile, type Profile } from '../src/main/profiles/profile.ts';
import { RunStats } from '../src/main/progress/run-stats.ts';
import { chooseProvider } from '../src/main/providers/choose-provider.ts';
import { OfflineProvider } from '../src/main/providers/offline-provider.ts';
import type { Provider, StepInput, StepOutcome } from '../src/main/providers/provider.ts';
import type { StepResult } from '../src/main/state/record.ts';

/**
 * The step plan in-process: the one module that decides steps, cache keys, the run's identity and
 * the queue's settings hash. These are pure functions of the settings; no request is made.
 */
const finance = loadProfile('finance');

function planFor(flags: Parameters<typeof loadConfig>[0], key: string, profile: Profile = finance): StepPlan {
  const config: Config = loadConfig(flags);
  const { provider } = chooseProvider(config, profile, {
    env: { GEMINI_API_KEY: key },
    notify: () => {},
    stopSignal: new AbortController().signal,
    onRetry: () => {},
    onAnswer: () => {},
  });
  const fallback = config.fallback === 'offline' && provider.name === 'gemini' ? new OfflineProvider(profile, config.pages) : undefined;
  return new StepPlan(provider, fallback, profile, config.passes, config.eInvoice);
}

test('the run identity and the queue settings hash change together, for every setting that changes an answer and none other', () => {
  // Before the step plan they were computed apart and disagreed: an offline run with --fallback
  // offline had the identity of one without it but another settings hash, and a two-pass run's
  // hash held the one-pass fingerprint its identity left out.
  const variants: Array<[string, Parameters<typeof loadConfig>[0], string]> = [];
  for (const passes of ['1', '2', 'auto'] as const) {
    for (const key of ['', 'a-key']) {
      for (const fallback of [undefined, 'offline'] as const) {
        variants.push([`passes ${passes}, ${key ? 'gemini' : 'offline'}, fallback ${fallback ?? 'none'}`, { passes, ...(fallback ? { fallback } : {}) }, key]);
      }
    }
  }
  variants.push(
    ['gemini, 5 pages', { pages: 5 }, 'a-key'],
    ['gemini, another extract model', { extractModel: 'gemini-3.1-flash-lite' }, 'a-key'],
    ['offline, 5 pages', { pages: 5 }, ''],
  );
  const plans = variants.map(([name, flags, key]) => ({ name, plan: planFor(flags, key) }));
  for (const a of plans) {
    for (const b of plans) {
      const sameIdentity = a.plan.runIdentity(['/data/in'], []).id === b.plan.runIdentity(['/data/in'], []).id;
      const sameHash = a.plan.settingsHash() === b.plan.settingsHash();
      assert.equal(
        sameHash,
        sameIdentity,
        `${a.name} vs ${b.name}: identity ${sameIdentity ? 'equal' : 'differs'}, settings hash ${sameHash ? 'equal' : 'differs'}`,
      );
    }
  }
  // The settings that change nothing offline (the fallback) change neither.
  assert.equal(planFor({ fallback: 'offline' }, '').settingsHash(), planFor({}, '').settingsHash());
  assert.notEqual(planFor({ fallback: 'offline' }, 'a-key').settingsHash(), planFor({}, 'a-key').settingsHash());
});

test('a state folder made before the step plan resumes: the run identity is computed as it was', () => {
  // Offline runs are the exception by design: the rules' version is part of their fingerprint, and
  // each version answers otherwise, so an offline run made under rules-v1 ('a78c12f933e3' here),
  // rules-v2 ('39ef7c46cbfc', 2026-12-07) or rules-v3 (OCR of scans and photos) is another run.
  const OFFLINE_TWO_PASS = 'ff64cbc530a6';
  // The ids the code before the step plan gave for these settings (read off commit 168422b).
  // E-invoices answering for themselves change answers, so by default (prefer) a run has a new id; with them ignored, the old one.
  assert.equal(planFor({ passes: '2', eInvoice: 'ignore' }, '').runIdentity(['/tmp/x'], []).id, OFFLINE_TWO_PASS);
  assert.equal(planFor({ passes: '1', eInvoice: 'ignore' }, 'k').runIdentity(['/tmp/x'], []).id, '222ac2ebc193');
  // Its offline fallback's fingerprints are in a Gemini run's identity too: under rules-v1 it was '8ae840305cd7', under v2 'fa5417b99672'.
  assert.equal(planFor({ passes: 'auto', fallback: 'offline', eInvoice: 'ignore' }, 'k').runIdentity(['/tmp/x'], []).id, '9a0ad1f1221e');
  assert.notEqual(planFor({ passes: '2' }, '').runIdentity(['/tmp/x'], []).id, OFFLINE_TWO_PASS);
});

/** A provider that answers from a table, counting what it was asked (pure logic: the plan's decisions). */
class TableProvider implements Provider {
  readonly name = 'offline' as const;
  readonly asked: string[] = [];
  constructor(
    private readonly label: string,
    private readonly onePassValid = true,
  ) {}
  classifyFingerprint(): string {
    return 'c';
  }
  extractFingerprint(label: string): string {
    return `e-${label}`;
  }
  onePassFingerprint(): string {
    return 'o';
  }
  splitFingerprint(): string {
    return 's';
  }
  async classify(): Promise<StepOutcome> {
    this.asked.push('classify');
    return { ok: true, result: this.#result('classify', { label: this.label, confidence: 0.9 }) };
  }
  async extract(_input: StepInput, label: string): Promise<StepOutcome> {
    this.asked.push(`extract:${label}`);
    return { ok: true, result: this.#result('extract', { fields: { invoice_number: 'INV-1' } }) };
  }
  async onePass(): Promise<StepOutcome> {
    this.asked.push('one-pass');
    if (!this.onePassValid) return { ok: false, code: 'MODEL_OUTPUT_INVALID', message: 'not valid', retryable: false };
    return { ok: true, result: this.#result('one-pass', { label: this.label, confidence: 0.9 }) };
  }
  async close(): Promise<void> {}
  #result(step: StepResult['step'], parts: Partial<StepResult>): StepResult {
    return { step, source: 'offline', model: 'table', usage: { input: 0, output: 0, thinking: 0, costUsd: 0 }, at: 0, ...parts };
  }
}

test('what askSteps asks and caches is exactly what the plan reads back as cached, for every passes mode', async () => {
  const withSecondPass = loadProfile('finance');
  const secondPass = { ...withSecondPass, secondPass: ['vendor_invoice'] };
  const cases: Array<[Passes, string, boolean, Profile, string[]]> = [
    ['2', 'vendor_invoice', true, finance, ['classify', 'extract:vendor_invoice']],
    ['2', 'contract', true, finance, ['classify']],
    ['1', 'vendor_invoice', true, finance, ['one-pass']],
    ['auto', 'vendor_invoice', true, finance, ['one-pass']],
    ['auto', 'vendor_invoice', true, secondPass, ['one-pass', 'extract:vendor_invoice']],
    ['auto', 'vendor_invoice', false, finance, ['one-pass', 'classify', 'extract:vendor_invoice']],
    ['1', 'vendor_invoice', false, finance, ['one-pass']],
  ];
  for (const [passes, label, onePassValid, profile, expectedAsks] of cases) {
    const provider = new TableProvider(label, onePassValid);
    const plan = new StepPlan(provider, undefined, profile, passes);
    const cache = new Map<string, StepResult>();
    const store = { getResult: (key: string) => cache.get(key), putResult: async (key: string, result: StepResult) => void cache.set(key, result) };
    const answered = await askSteps('sha', {} as StepInput, plan, new StepResolver(store, plan, new RunStats()));
    const name = `passes ${passes}, ${label}, one-pass ${onePassValid ? 'valid' : 'invalid'}${profile.secondPass ? ', second pass' : ''}`;
    assert.deepEqual(provider.asked, expectedAsks, name);
    const cached = plan.cached('sha', store);
    if (!answered.ok) {
      assert.equal(cached, undefined, `${name}: a failed file has no cached answer`);
      continue;
    }
    assert.ok(cached, `${name}: answered, so cached`);
    assert.deepEqual(
      [cached.first.step, cached.extracted?.step, cached.passes],
      [answered.first.result.step, answered.extracted?.result.step, answered.passes],
      name,
    );
    // Asked again, nothing reaches the provider: every answer is read back.
    await askSteps('sha', {} as StepInput, plan, new StepResolver(store, plan, new RunStats()));
    assert.deepEqual(provider.asked, expectedAsks, `${name}: asked again from the cache`);
  }
});
