import { Redis } from 'ioredis';
import { RunRefused, UsageError, withoutCredentials } from '../errors.ts';

/** Where Redis is, as the user may see it: host and port only, never a password from the URL. */
export function redisLabel(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.hostname}:${parsed.port || '6379'}`;
}

/** `--queue`'s value: a redis:// or rediss:// URL (a password in it stays in this process). */
export function parseQueueUrl(value: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    // The value may hold a password: it is never echoed (a '#', '/' or '?' in a password breaks the URL).
    throw new UsageError(
      `--queue: "${withoutCredentials(value)}" is not a URL; give redis://host:port (or rediss:// for TLS, with user:password@ if Redis needs one; percent-encode #, / and ? in a password)`,
    );
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw new UsageError(`--queue: ${parsed.protocol}// is not Redis; give redis://host:port or rediss://host:port`);
  return value;
}

/** Longest wait between reconnection attempts. */
const MAX_RECONNECT_MS = 5000;

/**
 * A connection to Redis as docpool makes them all: commands wait through an outage instead of
 * failing (BullMQ requires `maxRetriesPerRequest: null` for its blocking connections anyway), and
 * reconnection backs off to a steady 5 s. The user sees one line when Redis goes away and one when
 * it is back (for all of a process's connections together), never a stack trace per attempt.
 */
export function connectRedis(url: string, outages: RedisOutages): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 250, MAX_RECONNECT_MS) });
  redis.on('error', (error: Error) => {
    // A refused password is refused again on every reconnection: waiting for it would wait for ever.
    if (isCredentialRefusal(error)) {
      outages.refuse(error);
      redis.disconnect();
    } else outages.down(error);
  });
  // A restart fast enough that the first reconnection succeeds raises no error: the loss is said anyway.
  redis.on('reconnecting', () => outages.down(new Error('connection lost')));
  redis.on('ready', () => outages.up());
  return redis;
}

/**
 * Redis's answers to a wrong or missing password (WRONGPASS since Redis 6, "invalid password"
 * before it, NOAUTH when the URL has none and the server wants one).
 */
export function isCredentialRefusal(error: Error): boolean {
  return /^(WRONGPASS|NOAUTH)\b|^ERR (invalid password|AUTH <password> called without any password configured)/.test(error.message);
}

/** Whether a process's Redis is reachable, said once per change; and whether it refused the credentials, which ends the process's use of it. */
export class RedisOutages {
  #down = false;
  readonly #refused = new AbortController();

  constructor(
    private readonly url: string,
    private readonly notify: (message: string) => void,
  ) {}

  get isDown(): boolean {
    return this.#down || this.#refused.signal.aborted;
  }

  /** Aborted, with a RunRefused that says what to fix, when Redis refuses the credentials in the URL. */
  get refusal(): AbortSignal {
    return this.#refused.signal;
  }

  refuse(error: Error): void {
    if (this.#refused.signal.aborted) return;
    const reason = error.message.split(/[ .]/)[0];
    this.#refused.abort(
      new RunRefused(
        `--queue: Redis at ${redisLabel(this.url)} refused the credentials (${reason}): check the user and password in the URL (percent-encode #, / and ? in a password)`,
      ),
    );
  }

  down(error: Error): void {
    if (this.#down) return;
    this.#down = true;
    this.notify(
      `docpool: Redis at ${redisLabel(this.url)} is unreachable (${(error as NodeJS.ErrnoException).code ?? error.message}); waiting and reconnecting every few seconds, nothing is lost meanwhile\n`,
    );
  }

  up(): void {
    if (!this.#down) return;
    this.#down = false;
    this.notify(`docpool: Redis at ${redisLabel(this.url)} is back; going on\n`);
  }
}
