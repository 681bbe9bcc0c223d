// One replica process of the cross-process cache test: `node --import tsx cacheWorker.ts` with env
// REDIS_URL, FLEET_PREFIX, LIVE (up|down) and TASK. It runs one CachedFallback over a
// RedisCacheStore without a local copy and prints the result as JSON.
import { ConnectionError } from '../../src/errors/ConnectionError.js';
import { CachedFallback } from '../../src/fallback/CachedFallback.js';
import { FleetConnection, RedisCacheStore } from '../../src/fleet/index.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`cacheWorker needs ${name}`);
  return value;
};
const redis = new FleetConnection({ url: env('REDIS_URL'), prefix: env('FLEET_PREFIX'), opTimeoutMs: 2_000 });
await redis.start();
const cached = new CachedFallback(
  async () => {
    if (env('LIVE') !== 'up')
      throw new ConnectionError('the answer service is down', { code: 'ECONNREFUSED' });
    return { answer: `computed by process ${process.pid}` };
  },
  { store: new RedisCacheStore(redis, { local: false }), ttlMs: 3_600_000 },
);
const result = await cached.execute(env('TASK'));
process.stdout.write(
  `${JSON.stringify({ pid: process.pid, status: result.status, value: 'value' in result ? result.value : undefined })}\n`,
);
await redis.stop();
process.exit(0);
