/** Bad flags and config files: each must exit 2 with a message naming the option, never a stack trace. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { docpool } from '../harness.ts';
import { crashSignIn, DESIGN_ROWS } from './checks.ts';
import { type CaseContext, type CaseResult, goodFiles, NO_KEY } from './matrix.ts';

interface BadInvocation {
  readonly what: string;
  readonly args: readonly string[];
  /** What the message must mention for the user to know what to fix. */
  readonly names: RegExp;
}

export async function badFlagsAndConfigs(context: CaseContext): Promise<CaseResult> {
  const dir = context.folder('flags');
  goodFiles(context, dir, 1);
  const config = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const run = (...extra: string[]) => ['run', dir, '-o', join(dir, 'out.jsonl'), '--db', join(dir, 'db'), ...extra];
  const cases: BadInvocation[] = [
    { what: '--workers 0', args: run('--workers', '0'), names: /--workers/ },
    { what: '--workers lots', args: run('--workers', 'lots'), names: /--workers/ },
    { what: '--pages -3', args: run('--pages', '-3'), names: /--pages/ },
    { what: '--tier 9', args: run('--tier', '9'), names: /--tier/ },
    { what: '--rpm flash', args: run('--rpm', 'flash'), names: /--rpm/ },
    { what: '--max-cost -1', args: run('--max-cost', '-1'), names: /--max-cost/ },
    { what: '--request-timeout-ms 0', args: run('--request-timeout-ms', '0'), names: /--request-timeout-ms/ },
    { what: '--provider openai', args: run('--provider', 'openai'), names: /--provider/ },
    { what: '--classify-model gpt-4', args: run('--classify-model', 'gpt-4'), names: /gpt-4/ },
    { what: '--base-url not-a-url', args: run('--base-url', 'not a url'), names: /--base-url/ },
    { what: 'an unknown flag', args: run('--frobnicate'), names: /--frobnicate/ },
    { what: 'no input path', args: ['run'], names: /path/ },
    { what: '-o results.xlsx', args: ['run', dir, '-o', join(dir, 'results.xlsx'), '--db', join(dir, 'db')], names: /\.xlsx|\.jsonl/ },
    { what: '--db on a file', args: ['run', dir, '-o', join(dir, 'o.jsonl'), '--db', join(dir, 'good-0.pdf')], names: /--db|state folder/ },
    { what: 'a missing config file', args: run('--config', join(dir, 'absent.json')), names: /absent\.json/ },
    { what: 'a config that is not JSON', args: run('--config', config('broken.json', '{ workers: 2,')), names: /broken\.json/ },
    { what: 'a misspelt config key', args: run('--config', config('typo.json', '{"wrokers": 2}')), names: /wrokers/ },
    { what: 'a config value of the wrong type', args: run('--config', config('type.json', '{"workers": "two"}')), names: /workers/ },
    { what: 'estimate --pages 0', args: ['estimate', dir, '--pages', '0'], names: /--pages/ },
    { what: 'emulator --port 99999', args: ['emulator', '--port', '99999'], names: /--port/ },
  ];
  const wrong: string[] = [];
  for (const invocation of cases) {
    const result = await docpool(invocation.args, NO_KEY, { killAfterMs: 30_000 });
    const message = result.stderr.trim();
    if (result.code !== 2) wrong.push(`${invocation.what}: exit ${result.code} (${message.split('\n')[0]?.slice(0, 120)})`);
    else if (!invocation.names.test(message)) wrong.push(`${invocation.what}: "${message.slice(0, 160)}" does not name it`);
    else if (crashSignIn(result.stderr)) wrong.push(`${invocation.what}: a stack trace`);
  }
  return {
    row: DESIGN_ROWS.flags,
    input: `${cases.length} bad invocations (${cases.map((invocation) => invocation.what).join(', ')})`,
    promised: 'a message naming the option, what was expected and what was given; exit 2',
    got: wrong.length ? wrong.join('; ') : `all ${cases.length} exit 2 with the option named`,
    ok: wrong.length === 0,
  };
}
