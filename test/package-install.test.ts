import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from './helpers/temp.ts';

/**
 * The package as a user gets it: `npm pack` (which builds on prepack), `npm install -g` into a
 * fresh prefix, then every command from a folder outside the checkout, with nothing but Node on
 * the PATH: no tsx, no TypeScript, no dev dependency. Dependencies come from npm's cache when it
 * has them (after `npm ci` it does), else from the registry.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

test('npm pack + npm install -g gives a docpool that runs every command from any folder', { timeout: 300_000 }, () => {
  const work = tempDir('pack');
  const prefix = join(work, 'prefix');
  const npmEnv = { ...process.env, npm_config_loglevel: 'error' };
  execFileSync('npm', ['pack', '--pack-destination', work], { cwd: ROOT, env: npmEnv, stdio: 'pipe' });
  const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
  assert.ok(tarball, 'npm pack wrote a tarball');
  execFileSync('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(work, tarball)], {
    cwd: work,
    env: npmEnv,
    stdio: 'pipe',
  });

  const installed = join(prefix, 'lib', 'node_modules', 'docpool');
  for (const devOnly of ['tsx', 'typescript', 'ink-testing-library']) {
    assert.equal(existsSync(join(installed, 'node_modules', devOnly)), false, `${devOnly} must not be installed`);
  }
  assert.equal(existsSync(join(installed, 'src')), false, 'the package ships dist/, not the TypeScript source');

  // Only Node and the installed bin on the PATH; no loader options inherited from the test runner.
  const user = join(work, 'somewhere-else');
  execFileSync('mkdir', ['-p', user]);
  const env: NodeJS.ProcessEnv = { PATH: `${join(prefix, 'bin')}:${dirname(process.execPath)}:/usr/bin:/bin`, HOME: work, CI: '1' };
  const docpool = (...args: string[]) => {
    const result = spawnSync('docpool', args, { cwd: user, env, encoding: 'utf8', timeout: 180_000 });
    return { code: result.status, out: result.stdout, err: result.stderr };
  };

  const help = docpool('--help');
  assert.equal(help.code, 0, help.err);
  for (const command of ['run', 'estimate', 'status', 'export', 'corpus', 'emulator', 'demo']) assert.match(help.out, new RegExp(`\\b${command}\\b`));

  const corpus = docpool('corpus', 'pdfs', '--count', '24', '--max-pages', '3');
  assert.equal(corpus.code, 0, corpus.err);
  assert.equal(
    readFileSync(join(user, 'pdfs', 'manifest.jsonl'), 'utf8')
      .trim()
      .split('\n').length,
    24,
  );

  const estimate = docpool('estimate', 'pdfs', '--json');
  assert.equal(estimate.code, 0, estimate.err);
  assert.equal(JSON.parse(estimate.out).files, 24);

  const run = docpool('run', 'pdfs', '--provider', 'offline', '--no-tui', '-o', 'results.jsonl');
  assert.ok(run.code === 0 || run.code === 1, run.err); // 1: the generated corpus has damaged files on purpose
  assert.equal(readFileSync(join(user, 'results.jsonl'), 'utf8').trim().split('\n').length, 24);
  const status = docpool('status', '--json');
  assert.equal(status.code, 0, status.err);
  assert.equal(JSON.parse(status.out).runs[0].done + JSON.parse(status.out).runs[0].failed, 24);

  // The emulator answers over HTTP until it is stopped.
  const emulator = spawnSync('sh', ['-c', 'docpool emulator --port 0 > url.txt & pid=$!; sleep 3; curl -s "$(cat url.txt)/_emulator/stats"; kill $pid'], {
    cwd: user,
    env,
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.match(emulator.stdout, /"requests"/, emulator.stderr);

  // The demo: a small corpus at high speed, both passes, the second from the cache.
  const demo = docpool('demo', '--no-tui', '--files', '30', '--time-scale', '0.02');
  assert.equal(demo.code, 0, demo.err);
  assert.match(demo.err, /the second pass made 0 API calls/);
});
