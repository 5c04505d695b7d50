import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { GlobalQuota, type ModelQuota } from '../src/main/queue/global-quota.ts';
import { hasRedisServer, startRedis } from './helpers/redis.ts';

const skip = hasRedisServer() ? false : 'redis-server is not installed (Debian package redis-server; .ci/run installs it)';

/** The most requests and tokens any window of `windowMs` holds, over admissions at Redis's times. */
function busiestWindow(admitted: ReadonlyArray<{ at: number; tokens: number }>, windowMs: number): { requests: number; tokens: number } {
  const sorted = [...admitted].sort((a, b) => a.at - b.at);
  let start = 0;
  let tokens = 0;
  let most = { requests: 0, tokens: 0 };
  for (let end = 0; end < sorted.length; end++) {
    tokens += sorted[end]!.tokens;
    while (sorted[end]!.at - sorted[start]!.at >= windowMs) tokens -= sorted[start++]!.tokens;
    most = { requests: Math.max(most.requests, end - start + 1), tokens: Math.max(most.tokens, tokens) };
  }
  return most;
}

test('sixty callers on three connections never pass one shared quota, requests or tokens', { skip }, async (t) => {
  const redis = await startRedis();
  after(() => redis.stop());
  const clients = [new Redis(redis.url), new Redis(redis.url), new Redis(redis.url)];
  after(() => clients.forEach((client) => client.disconnect()));
  const quota: ModelQuota = { model: 'gemini-3.8-flash', rpm: 40, tpm: 20_000, windowMs: 500 };
  const admitted: Array<{ at: number; tokens: number }> = [];
  const started = Date.now();
  await Promise.all(
    clients.flatMap((client) => {
      const shared = new GlobalQuota(client, 'docpool-test');
      // Twenty callers per client, each sending 6 requests of 300–700 tokens: 360 requests in all.
      return Array.from({ length: 20 }, async (_, caller) => {
        for (let i = 0; i < 6; i++) {
          const tokens = 300 + ((caller * 7 + i * 13) % 5) * 100;
          const ticket = await shared.acquire(quota, tokens);
          admitted.push({ at: ticket.at, tokens });
        }
      });
    }),
  );
  const elapsed = Date.now() - started;
  const busiest = busiestWindow(admitted, quota.windowMs);
  t.diagnostic(
    `busiest window: ${busiest.requests} requests (quota ${quota.rpm}), ${busiest.tokens} tokens (quota ${quota.tpm}); 360 requests in ${elapsed} ms (fluid limit ${(360 / quota.rpm) * quota.windowMs} ms)`,
  );
  assert.equal(admitted.length, 360);
  assert.ok(busiest.requests <= quota.rpm, `${busiest.requests} requests in one window (quota ${quota.rpm})`);
  assert.ok(busiest.tokens <= quota.tpm, `${busiest.tokens} tokens in one window (quota ${quota.tpm})`);
  // And the quota is used, not wasted: 360 requests at 40 per 500 ms is at least 4 s.
  assert.ok(elapsed < 4_500 * 1.6, `took ${elapsed} ms`);
});
