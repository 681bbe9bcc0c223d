// Fleet connections for the store tests: each "replica" gets its own FleetConnection (its own Redis
// socket), as separate processes would; a raw ioredis client lets a test look at what Redis holds.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { SimulatedClock } from 'xstate';
import { FleetConnection, type FleetEvent } from '../../src/fleet/index.js';
import { next } from './support.js';

export interface ConnectionOptions {
  url: string;
  clock: SimulatedClock;
  prefix: string;
  opTimeoutMs?: number;
}

export const freshPrefix = (tag: string) => `${tag}${randomUUID().slice(0, 8)}:`;

/** A started connection that reached Redis (resynced), recording its events. */
export async function connect(
  replica: string,
  options: ConnectionOptions,
): Promise<{ redis: FleetConnection; events: FleetEvent[] }> {
  const redis = new FleetConnection({
    url: options.url,
    replica,
    prefix: options.prefix,
    clock: options.clock,
    // Generous by default: a loaded CI machine must not turn a slow answer into a lost Redis.
    opTimeoutMs: options.opTimeoutMs ?? 2_000,
    healthCheckMs: 100,
  });
  const events: FleetEvent[] = [];
  redis.events$.subscribe((e) => events.push(e));
  const synced = next(redis.events$, 'fleet.resynced');
  await redis.start();
  await synced;
  return { redis, events };
}

/** A plain client to look at (or flush) what Redis holds. */
export function rawClient(url: string): Redis {
  const client = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  return client;
}
