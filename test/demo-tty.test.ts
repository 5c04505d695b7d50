import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from './helpers/temp.ts';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const CLI = fileURLToPath(new URL('../src/main/cli.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const SOCKET = `docpool-test-${process.pid}`;

const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = (session: string) => tmux('capture-pane', '-t', session, '-p', '-S', '-200');

async function waitFor(session: string, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = screen(session);
    if (pattern.test(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`screen never matched ${pattern} within ${timeoutMs} ms; last screen:\n${last}`);
}

/** Starts `docpool demo` in a real pseudo-terminal (a tmux pane, 100×30 unless given) in its own folder. */
function startDemo(
  session: string,
  { width = 100, height = 30, args = '', cwd = tempDir(`demo-${session}`) }: { width?: number; height?: number; args?: string; cwd?: string } = {},
): string {
  // The pane stands for a user's terminal: CI's variables would put Ink in its non-interactive
  // CI mode (last frame only, no keys), so they are left out.
  const command = `env -u CI -u CONTINUOUS_INTEGRATION ${process.execPath} --import ${TSX} ${CLI} demo ${args}; echo "EXIT=$?"; sleep 60`;
  tmux('new-session', '-d', '-s', session, '-x', String(width), '-y', String(height), '-c', cwd, command);
  return cwd;
}

/** What the terminal shows now: the visible pane only, no scrollback. */
const visible = (session: string) => tmux('capture-pane', '-t', session, '-p');

/** Rows that must each appear exactly once on a clean screen, whatever the frame's moment. */
const PANEL_ROWS: ReadonlyArray<readonly [string, RegExp]> = [
  ['title', /^docpool run \w+ · gemini · /],
  ['classify model row', /^3\.5-flash-lite\s+\d+\/\d+/],
  ['extract model row', /^3\.8-flash\s+\d+\/\d+/],
  ['spend', /^spent \$/],
  ['footer', /q stop/],
];

function rowCounts(screenText: string): Record<string, number> {
  const lines = screenText.split('\n');
  return Object.fromEntries(PANEL_ROWS.map(([name, pattern]) => [name, lines.filter((line) => pattern.test(line)).length]));
}

after(() => spawnSync('tmux', ['-L', SOCKET, 'kill-server']));

test('docpool demo in a terminal shows the live dashboard, then a summary and a cached second pass', { skip: !hasTmux && 'tmux not installed' }, async () => {
  startDemo('full');
  const live = await waitFor('full', /files\/s [\d.]+ now[\s\S]*3\.8-flash[\s\S]*q stop/, 60_000);
  assert.match(live, /docpool run \w+ · gemini · (running|finished)/);
  assert.match(live, /\d+% [\d,]+\/300 files|\/\d+\+ files/);
  const end = await waitFor('full', /EXIT=\d+/, 120_000);
  assert.match(end, /300 files in [\d.]+ s/);
  assert.match(end, /the second pass made 0 API calls/);
  assert.match(end, /EXIT=0/);
});

test('q stops the demo gracefully: in-flight files finish, the summary says how to go on', { skip: !hasTmux && 'tmux not installed' }, async () => {
  startDemo('quit');
  // As soon as the live panel is up: the stop must land mid-run, even on a loaded machine.
  await waitFor('quit', /files\/s [\d.]+ now[\s\S]*q stop/, 60_000);
  tmux('send-keys', '-t', 'quit', 'q');
  const end = await waitFor('quit', /EXIT=\d+/, 60_000);
  assert.match(end, /stopped admitting files: stopped on request/);
  assert.match(end, /run the same command again to go on/);
  assert.match(end, /EXIT=130/);
});

test(
  'every frame replaces the last in a real terminal: each panel row once per screen at several sizes and after a resize',
  { skip: !hasTmux && 'tmux not installed' },
  async () => {
    for (const [width, height] of [
      [120, 40],
      [80, 24],
    ] as const) {
      const session = `frames-${width}x${height}`;
      startDemo(session, { width, height, args: '--files 150 --time-scale 0.1' });
      await waitFor(session, /files\/s [\d.]+ now[\s\S]*q stop/, 60_000);
      const screens: string[] = [];
      for (let capture = 0; capture < 8; capture++) {
        if (capture === 5) {
          tmux('resize-window', '-t', session, '-x', String(width - 17), '-y', String(height - 5));
          // Until the program has its SIGWINCH, the screen is tmux's own rewrap of the old frame.
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
        screens.push(visible(session));
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      for (const [index, screenText] of screens.entries()) {
        // A screen caught between the first pass and the summary shows no panel; else each row once.
        if (!/q stop/.test(screenText)) continue;
        assert.deepEqual(
          rowCounts(screenText),
          Object.fromEntries(PANEL_ROWS.map(([name]) => [name, 1])),
          `${width}×${height}, capture ${index + 1}:\n${screenText}`,
        );
      }
      const titles = screens.map((screenText) => screenText.split('\n').find((line) => line.startsWith('docpool run ')) ?? '');
      assert.ok(new Set(titles.filter(Boolean)).size > 1, `the numbers move between captures:\n${titles.join('\n')}`);
      const end = await waitFor(session, /EXIT=\d+/, 120_000);
      assert.match(end, /EXIT=0/);
    }
  },
);

test(
  'a second demo in the same folder demonstrates again: a live first pass with the dashboard, then the cache',
  { skip: !hasTmux && 'tmux not installed' },
  async () => {
    const cwd = startDemo('again-1', { args: '--files 60 --time-scale 0.05' });
    assert.match(await waitFor('again-1', /EXIT=\d+/, 120_000), /EXIT=0/);
    startDemo('again-2', { args: '--files 60 --time-scale 0.05', cwd });
    // The kept corpus is reused, but the state starts empty: the first pass is live work again.
    const live = await waitFor('again-2', /files\/s [\d.]+ now[\s\S]*q stop/, 60_000);
    assert.match(live, /using the sample corpus in/);
    const end = await waitFor('again-2', /EXIT=\d+/, 120_000);
    assert.match(end, /60 files in [\d.]+ s \([\d.]+ files\/s\): [1-9][\d,]* answered/);
    assert.match(end, /the second pass made 0 API calls/);
  },
);
