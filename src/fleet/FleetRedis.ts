// The fleet's two Redis connections (commands, and a subscriber: a subscribed connection cannot send
// other commands) and the rule that makes Redis optional: every operation is bounded by a short
// timeout, nothing queues while disconnected, and trouble is reported instead of thrown at callers.
import type { Redis, RedisOptions } from 'ioredis';
import type { FleetScript } from './breakerScript.js';
import { bounded, createFleetClient, describeRedisError as describe } from './redisClient.js';

export interface FleetRedisOptions {
  url: string | undefined;
  redis: RedisOptions | undefined;
  opTimeoutMs: number;
  channel: string;
  onMessage: (message: string) => void;
  /** Both connections are ready (at start, and after every reconnect). */
  onReady: () => void;
  /** A connection closed or an operation failed or timed out. */
  onTrouble: (reason: string) => void;
}

function create(options: FleetRedisOptions): Redis {
  return createFleetClient(options.url, options.redis, options.opTimeoutMs);
}

export class FleetRedis {
  readonly #options: FleetRedisOptions;
  readonly #commands: Redis;
  readonly #subscriber: Redis;
  #stopped = false;
  /** The subscription is in place: a resync before it could miss a transition published meanwhile. */
  #subscribed = false;
  /** Settles the first time the subscription is in place (start() waits for it: else a spurious "lost"). */
  #firstSubscription: () => void = () => {};
  readonly #subscribedOnce = new Promise<void>((resolve) => {
    this.#firstSubscription = resolve;
  });

  constructor(options: FleetRedisOptions) {
    this.#options = options;
    this.#commands = create(options);
    this.#subscriber = create(options);
    for (const client of [this.#commands, this.#subscriber]) {
      // Without an error listener ioredis would crash the process on a refused connection.
      client.on('error', () => {});
      client.on('close', () => {
        if (!this.#stopped) options.onTrouble('connection closed');
      });
    }
    this.#commands.on('ready', () => this.#readyChanged());
    this.#subscriber.on('close', () => {
      this.#subscribed = false;
    });
    this.#subscriber.on('ready', () => {
      this.#subscriber.subscribe(options.channel).then(
        () => {
          this.#subscribed = true;
          this.#firstSubscription();
          this.#readyChanged();
        },
        (e: unknown) => options.onTrouble(`subscribe failed: ${describe(e)}`),
      );
    });
    this.#subscriber.on('message', (_channel: string, message: string) => options.onMessage(message));
  }

  /** Both connections are up and the subscription is in place. */
  get ready(): boolean {
    return this.#commands.status === 'ready' && this.#subscriber.status === 'ready' && this.#subscribed;
  }

  /** Connects both clients; resolves (never rejects) within the connect timeout either way. */
  async connect(): Promise<void> {
    const attempt = (client: Redis) => client.connect().catch(() => {});
    const limit = Math.max(1_000, this.#options.opTimeoutMs);
    const connected = Promise.all([attempt(this.#commands), attempt(this.#subscriber)]).then(() =>
      this.#subscriber.status === 'ready' ? this.#subscribedOnce : undefined,
    );
    await bounded(connected, limit).catch(() => {});
  }

  /** DEL key when it still holds `value` (a lease this replica took): one atomic script. */
  async deleteIfValue(key: string, value: string): Promise<void> {
    await this.#run(() => this.#commands.eval(RELEASE_LUA, 1, key, value));
  }

  async readHash(key: string): Promise<Record<string, string>> {
    return this.#run(() => this.#commands.hgetall(key));
  }

  async ping(): Promise<void> {
    await this.#run(() => this.#commands.ping());
  }

  /** Runs a script: EVALSHA, and EVAL once when Redis does not know it yet (NOSCRIPT, e.g. after a restart). */
  async script(script: FleetScript, keys: string[], args: string[]): Promise<unknown> {
    return this.#run(async () => {
      try {
        return await this.#commands.evalsha(script.sha, keys.length, ...keys, ...args);
      } catch (e) {
        if (!describe(e).startsWith('NOSCRIPT')) throw e;
        return this.#commands.eval(script.lua, keys.length, ...keys, ...args);
      }
    });
  }

  async delete(key: string): Promise<void> {
    await this.#run(() => this.#commands.del(key));
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const client of [this.#commands, this.#subscriber]) client.disconnect();
  }

  async #run<T>(op: () => Promise<T>): Promise<T> {
    try {
      // ioredis' commandTimeout bounds the command; this bounds the whole operation (EVALSHA + EVAL).
      return await bounded(op(), this.#options.opTimeoutMs * 2);
    } catch (e) {
      if (!this.#stopped) this.#options.onTrouble(describe(e));
      throw e;
    }
  }

  #readyChanged(): void {
    if (!this.#stopped && this.ready) this.#options.onReady();
  }
}

const RELEASE_LUA =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
