import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { sleep } from '../abortable.ts';
import type { SharedQuota } from '../providers/gemini/model-limiter.ts';

const ACQUIRE = `
--[[
One model's quota, shared by every docpool process: a sliding log of the requests sent in the last
window (KEYS[1], a sorted set: request id by send time) with each one's tokens (KEYS[2], a hash,
whose field "_sum" is the window's total), and a pause every process honours after a 429 (KEYS[3]).
Time is Redis's own (TIME), so machines whose clocks disagree still count one window.

ARGV: 1 request id, 2 tokens, 3 requests per window, 4 tokens per window, 5 window ms.
Returns {1, now} when the request may be sent (it is counted from now), else {0, ms to wait, 1 if a
429 elsewhere paused the model else 0}.
]]
local id, tokens, rpm, tpm, window = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)

local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused > now then return {0, paused - now, 1} end

-- Requests that left the window give their units back.
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - window)
if #expired > 0 then
  local freed = 0
  for i = 1, #expired do
    freed = freed + tonumber(redis.call('HGET', KEYS[2], expired[i]) or '0')
    redis.call('HDEL', KEYS[2], expired[i])
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
  redis.call('HINCRBY', KEYS[2], '_sum', -freed)
end

local count = redis.call('ZCARD', KEYS[1])
local sum = tonumber(redis.call('HGET', KEYS[2], '_sum') or '0')
if count + 1 <= rpm and sum + tokens <= tpm then
  redis.call('ZADD', KEYS[1], now, id)
  redis.call('HSET', KEYS[2], id, tokens)
  redis.call('HINCRBY', KEYS[2], '_sum', tokens)
  redis.call('PEXPIRE', KEYS[1], window * 2)
  redis.call('PEXPIRE', KEYS[2], window * 2)
  return {1, now}
end

-- Not now: wait until enough of the oldest requests have left the window for this one to fit.
local needRequests = count + 1 - rpm
local needTokens = sum + tokens - tpm
local oldest = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local freedRequests, freedTokens = 0, 0
for i = 1, #oldest, 2 do
  freedRequests = freedRequests + 1
  freedTokens = freedTokens + tonumber(redis.call('HGET', KEYS[2], oldest[i]) or '0')
  if freedRequests >= needRequests and freedTokens >= needTokens then
    return {0, math.max(1, tonumber(oldest[i + 1]) + window - now + 1), 0}
  end
end
return {0, window, 0}
`;

/** Gives a request's tokens their real count once the server said it (usageMetadata.promptTokenCount). */
const RECONCILE = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false then return 0 end
local before = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[2], '_sum', tonumber(ARGV[2]) - before)
return 1`;

/** A 429 pauses the model for every process: the later of the pause in force and now + the server's delay. */
const PAUSE = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local until_ = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > current then redis.call('SET', KEYS[1], until_, 'PX', ARGV[1]) end
return until_`;

export interface ModelQuota {
  readonly model: string;
  readonly rpm: number;
  readonly tpm: number;
  readonly windowMs: number;
}

/** One admitted request: its id in the shared log, for reconciling its tokens. */
export interface QuotaTicket {
  readonly id: string;
  readonly model: string;
  /** When it was counted, by Redis's clock (ms). */
  readonly at: number;
  /** Whether it waited on a pause another process's 429 set (a signal to slow down here too). */
  readonly pausedByOthers: boolean;
}

interface QuotaCommands {
  docpoolAcquire(
    log: string,
    tokens: string,
    pause: string,
    id: string,
    weight: number,
    rpm: number,
    tpm: number,
    windowMs: number,
  ): Promise<[number, number, number?]>;
  docpoolReconcile(log: string, tokens: string, id: string, actual: number): Promise<number>;
  docpoolPause(pause: string, ms: number): Promise<number>;
}

/**
 * Requests and tokens per window for each model, held across every machine of a run: each
 * request is admitted by one Lua script against a sliding log in Redis, so no window anywhere
 * holds more than the quota (the way Google counts), and a 429 seen by one worker pauses all.
 */
export class GlobalQuota {
  readonly #redis: Redis & QuotaCommands;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    redis.defineCommand('docpoolAcquire', { numberOfKeys: 3, lua: ACQUIRE });
    redis.defineCommand('docpoolReconcile', { numberOfKeys: 2, lua: RECONCILE });
    redis.defineCommand('docpoolPause', { numberOfKeys: 1, lua: PAUSE });
    this.#redis = redis as Redis & QuotaCommands;
  }

  /** Waits until the request fits the model's window everywhere, then counts it (from Redis's now). */
  async acquire(quota: ModelQuota, tokens: number, stop?: AbortSignal): Promise<QuotaTicket> {
    const id = randomUUID();
    const weight = Math.max(1, Math.min(Math.ceil(tokens), quota.tpm));
    let pausedByOthers = false;
    for (;;) {
      if (stop?.aborted) throw stop.reason ?? new DOMException('stopped', 'AbortError');
      const [admitted, value, paused] = await this.#redis.docpoolAcquire(...this.#keys(quota.model), id, weight, quota.rpm, quota.tpm, quota.windowMs);
      if (admitted === 1) return { id, model: quota.model, at: value, pausedByOthers };
      pausedByOthers ||= paused === 1;
      await sleep(Math.min(value, quota.windowMs), stop);
    }
  }

  async reconcile(ticket: Pick<QuotaTicket, 'id' | 'model'>, actualTokens: number): Promise<void> {
    const [log, tokens] = this.#keys(ticket.model);
    await this.#redis.docpoolReconcile(log, tokens, ticket.id, Math.max(0, Math.ceil(actualTokens)));
  }

  async pause(model: string, ms: number): Promise<void> {
    await this.#redis.docpoolPause(this.#keys(model)[2], Math.max(1, Math.ceil(ms)));
  }

  #keys(model: string): [log: string, tokens: string, pause: string] {
    const base = `${this.prefix}:quota:${model}`;
    return [`${base}:log`, `${base}:tokens`, `${base}:pause`];
  }
}

/** One model's share of a GlobalQuota, as a ModelLimiter uses it (errors are the limiter's to ignore). */
export function sharedQuotaFor(global: GlobalQuota, quota: ModelQuota): SharedQuota {
  return {
    acquire: (tokens, stop) => global.acquire(quota, tokens, stop),
    // Best effort with Redis away: the shared log is corrected by the next request's own tokens, and a 429 pauses this machine anyway.
    reconcile: (ticket, actual) => void global.reconcile(ticket, actual).catch(() => {}),
    pause: (ms) => void global.pause(quota.model, ms).catch(() => {}),
  };
}
