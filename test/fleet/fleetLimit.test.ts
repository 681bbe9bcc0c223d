// The fleet-wide concurrency limit on a real redis-server: slots counted across replicas, a full
// server rejects at once with a typed retryable error, a server without a limit never touches Redis,
// and the slots of a replica killed mid-call (a real child process) come back when their leases expire.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { FLEET_LIMIT_REACHED, FleetLimit } from '../../src/fleet/index.js';
import { freshPrefix } from './connections.js';
import { useRedisServer } from './setup.js';

const HOLDER = fileURLToPath(new URL('./limitHolder.ts', import.meta.url));
const server = useRedisServer();

async function replica(name: string, clock: SimulatedClock, prefix: string, max = 2): Promise<FleetLimit> {
  const { redis } = await server.connect(name, { clock, prefix });
  return new FleetLimit(redis, { servers: { github: { maxConcurrentFleetWide: max } }, leaseMs: 30_000 });
}

function gate() {
  let open: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open: () => open(), closed };
}

async function commandsProcessed(): Promise<number> {
  const info = await server.raw.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1]);
}

describe('FleetLimit: maxConcurrentFleetWide on a real redis-server', () => {
  it('two slots across two replicas: a third call is rejected at once, typed and retryable; a freed slot is taken', async () => {
    const clock = new SimulatedClock();
    clock.set(1_750_000_000_000);
    const prefix = freshPrefix('l');
    const a = await replica('A', clock, prefix);
    const b = await replica('B', clock, prefix);
    const first = gate();
    const second = gate();
    const entered = [gate(), gate()];
    const callsA = [
      a.run('github', () => {
        entered[0]?.open();
        return first.closed.then(() => 'a1');
      }),
      b.run('github', () => {
        entered[1]?.open();
        return second.closed.then(() => 'b1');
      }),
    ];
    // Both calls are inside their slots (the function runs only once the slot is held).
    await Promise.all(entered.map((e) => e.closed));
    expect(await a.active('github')).toBe(2);
    const rejected = await b.run('github', async () => 'never').catch((e: unknown) => e);
    expect(rejected).toMatchObject({
      kind: 'resource',
      code: FLEET_LIMIT_REACHED,
      retryable: true,
      server: 'github',
    });
    expect(String((rejected as Error).message)).toMatch(
      /2 calls .* in flight across the fleet, its limit is 2/,
    );
    first.open();
    second.open();
    expect(await Promise.all(callsA)).toEqual(['a1', 'b1']);
    expect(await b.run('github', async () => 'now')).toBe('now');
    expect(await a.active('github')).toBe(0);
  });

  it('a server without a limit never reaches Redis: 1000 calls, no command', async () => {
    const clock = new SimulatedClock();
    const limit = await replica('A', clock, freshPrefix('l'));
    const before = await commandsProcessed();
    for (let i = 0; i < 1000; i++) await limit.run('files', async () => i);
    const after = await commandsProcessed();
    expect(after - before).toBeLessThanOrEqual(1); // the INFO that reads it
  });

  it('a replica killed mid-call (child process): its slots come back once their leases expire', async () => {
    const clock = new SimulatedClock();
    clock.set(Date.now()); // the holder runs on the wall clock; leases are compared on one time line
    const prefix = freshPrefix('l');
    const leaseMs = 30_000;
    const child = fork(HOLDER, [], {
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        REDIS_URL: server.url,
        FLEET_PREFIX: prefix,
        SLOTS: '2',
        LEASE_MS: String(leaseMs),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const held = new Promise<{ at: number }>((resolve, reject) => {
      child.once('message', (m: { at: number }) => resolve(m));
      child.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
    });
    const { at } = await held;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const b = await replica('B', clock, prefix);
    clock.set(Math.max(clock.now(), at));
    await expect(b.run('github', async () => 'x')).rejects.toMatchObject({ code: FLEET_LIMIT_REACHED });
    clock.increment(leaseMs + 1_000); // past the dead holder's leases (it renewed none of them)
    expect(await b.run('github', async () => 'slot back')).toBe('slot back');
  }, 60_000);
});
