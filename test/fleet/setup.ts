// The Redis scaffolding of the fleet test files: one real redis-server per file (started before its
// first test, stopped after its last), a raw client to look at what Redis holds, and fleet
// connections that are stopped after each test. Files that kill or restart Redis mid-test start their
// own server with startRedisServer.
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { FleetConnection, FleetEvent } from '../../src/fleet/index.js';
import { type ConnectionOptions, connect, rawClient } from './connections.js';
import { type RedisServer, startRedisServer } from './redisServer.js';

export interface RedisFixture {
  /** The file's redis-server. */
  readonly server: RedisServer;
  readonly url: string;
  /** A plain client on the file's server (made on first use, disconnected after the file). */
  readonly raw: Redis;
  /**
   * A started connection that reached Redis (the file's server unless `url` names another),
   * recording its events; stopped after the test.
   */
  connect(
    replica: string,
    options: Omit<ConnectionOptions, 'url'> & { url?: string },
  ): Promise<{ redis: FleetConnection; events: FleetEvent[] }>;
}

/** Registers the hooks of one redis-server for the calling test file; call it at the top level. */
export function useRedisServer(): RedisFixture {
  let server: RedisServer | undefined;
  let raw: Redis | undefined;
  const open: FleetConnection[] = [];
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterEach(async () => {
    for (const c of open.splice(0)) await c.stop();
  });
  afterAll(async () => {
    raw?.disconnect();
    await server?.stop();
  });
  const started = (): RedisServer => {
    if (!server) throw new Error('the redis-server of this file is not started (used outside a test?)');
    return server;
  };
  return {
    get server() {
      return started();
    },
    get url() {
      return started().url;
    },
    get raw() {
      raw ??= rawClient(started().url);
      return raw;
    },
    async connect(replica, options) {
      const connected = await connect(replica, { ...options, url: options.url ?? started().url });
      open.push(connected.redis);
      return connected;
    },
  };
}

/** A simulated clock set to `ms` (a fixed, realistic epoch time by default). */
export function clockAt(ms = 1_750_000_000_000): SimulatedClock {
  const clock = new SimulatedClock();
  clock.set(ms);
  return clock;
}
