// A replica that takes every fleet-wide slot of 'github' and then hangs in its calls until it is
// killed: the crashed replica of the fleet-limit test. Run as `node --import tsx limitHolder.ts`
// with an IPC channel; env REDIS_URL, FLEET_PREFIX, SLOTS, LEASE_MS.
import { FleetConnection, FleetLimit } from '../../src/fleet/index.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`limitHolder needs ${name}`);
  return value;
};
const slots = Number(env('SLOTS'));
const redis = new FleetConnection({ url: env('REDIS_URL'), prefix: env('FLEET_PREFIX'), replica: 'crasher' });
await redis.start();
const limit = new FleetLimit(redis, {
  servers: { github: { maxConcurrentFleetWide: slots } },
  leaseMs: Number(env('LEASE_MS')),
});
let inside = 0;
for (let i = 0; i < slots; i++) {
  void limit.run('github', async () => {
    inside++;
    if (inside === slots) process.send?.({ type: 'held', at: Date.now() });
    await new Promise(() => {}); // never returns: the process is killed mid-call
  });
}
