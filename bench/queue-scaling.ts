/**
 * More than one machine, on one: 1, 2 and 3 `docpool worker` processes (one thread each) take a
 * folder's files from a coordinator (`run --queue --no-local`) through a real redis-server, against
 * the emulator in its own process with a quota every worker shares. What the table shows: aggregate
 * files/s, the busiest sliding window's accepted requests ÷ the quota (never above 1), the 429
 * share, and what the queue costs per file in Redis commands and bytes (Redis's own INFO counters).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startRedis } from '../test/helpers/redis.ts';
import { docpool, emulatorProcess, KEY_ENV, round, scratch, summaryOf } from './harness.ts';

const CLI = fileURLToPath(new URL('../src/main/cli.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const WINDOW_MS = 3000;
/** One request per file (one pass), flash's quota: 400 per 3 s window, 133 files/s. */
const RPM = 400;

export interface QueueRow {
  readonly workers: number;
  readonly files: number;
  readonly seconds: number;
  readonly filesPerSecond: number;
  /** Busiest sliding window's accepted requests ÷ the quota. */
  readonly busiestOfQuota: number;
  readonly refusedShare: number;
  readonly redisCommandsPerFile: number;
  readonly redisBytesPerFile: number;
}

export async function queueScaling(corpus: string, files: number): Promise<QueueRow[]> {
  const redis = await startRedis();
  const work = scratch('queue');
  const config = join(work, 'emulator.json');
  writeFileSync(
    config,
    JSON.stringify({ quota: { 'gemini-3.5-flash-lite': { rpm: RPM } }, latency: { 'gemini-3.5-flash-lite': { medianMs: 3000, sigma: 0.4 } } }),
  );
  const rows: QueueRow[] = [];
  try {
    for (const count of [1, 2, 3]) {
      const emulator = await emulatorProcess(['--config', config, '--time-scale', String(WINDOW_MS / 60_000)]);
      const queue = `bench-${count}`;
      const workers = Array.from({ length: count }, () => startWorker(redis.url, queue));
      try {
        const before = await redisCounters(redis.url);
        const run = await docpool([
          'run',
          corpus,
          '-o',
          join(work, `${count}.jsonl`),
          '--db',
          join(work, `db-${count}`),
          '--base-url',
          emulator.url,
          '--queue',
          redis.url,
          '--queue-name',
          queue,
          '--no-local',
          '--passes',
          '1',
          '--rpm',
          `gemini-3.5-flash-lite=${RPM}`,
          '--quota-window-ms',
          String(WINDOW_MS),
          '--no-tui',
        ]);
        const after = await redisCounters(redis.url);
        const summary = summaryOf(run);
        if (summary.files !== files) throw new Error(`queue bench: ${count} workers finished ${summary.files} of ${files} files\n${run.stderr.slice(-2000)}`);
        const stats = await emulator.stats();
        const ticks = stats.acceptedPerTick['gemini-3.5-flash-lite'] ?? [];
        const perWindow = Math.round(WINDOW_MS / stats.tickMs);
        let busiest = 0;
        for (let start = 0; start < ticks.length; start++)
          busiest = Math.max(
            busiest,
            ticks.slice(start, start + perWindow).reduce((sum, accepted) => sum + accepted, 0),
          );
        rows.push({
          workers: count,
          files,
          seconds: round(summary.seconds, 1),
          filesPerSecond: round(summary.filesPerSecond, 1),
          busiestOfQuota: round(busiest / RPM, 2),
          refusedShare: round((stats.requests.byStatus['429'] ?? 0) / Math.max(1, stats.requests.total), 3),
          redisCommandsPerFile: round((after.commands - before.commands) / files, 1),
          redisBytesPerFile: Math.round((after.bytes - before.bytes) / files),
        });
      } finally {
        await Promise.all(workers.map(stopWorker));
        emulator.stop();
      }
    }
  } finally {
    await redis.stop();
    rmSync(work, { recursive: true, force: true });
  }
  return rows;
}

function startWorker(url: string, queue: string): ChildProcess {
  return spawn(process.execPath, ['--import', TSX, CLI, 'worker', '--queue', url, '--queue-name', queue, '--workers', '1'], {
    env: { ...process.env, ...KEY_ENV },
    stdio: 'ignore',
  });
}

function stopWorker(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Commands Redis processed and bytes it moved (in and out), since it started. */
async function redisCounters(url: string): Promise<{ commands: number; bytes: number }> {
  const client = new Redis(url);
  try {
    const info = await client.info('stats');
    const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
    return { commands: field('total_commands_processed'), bytes: field('total_net_input_bytes') + field('total_net_output_bytes') };
  } finally {
    client.disconnect();
  }
}
