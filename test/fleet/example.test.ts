import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from './redisServer.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
let redis: RedisServer | undefined;
afterAll(async () => {
  await redis?.stop();
});

it('examples/fleet.ts: one failure per replica opens all three; one probe closes them all', async () => {
  redis = await startRedisServer();
  const { stdout } = await run(`${root}node_modules/.bin/tsx`, ['examples/fleet.ts'], {
    cwd: root,
    timeout: 60_000,
    env: { ...process.env, REDIS_URL: redis.url },
  });
  expect(stdout).toMatch(/every replica is open after 3 failed calls in all \(threshold 3\)/);
  expect(stdout.match(/CircuitOpenError: no call made/g)).toHaveLength(3);
  expect(stdout).toMatch(/the lease went to [ABC]; the others keep rejecting/);
  expect(stdout).toMatch(/1 probe call reached the upstream; every replica is closed/);
  expect(stdout).toMatch(/\[C\] degraded from cache: weekly report computed by A/);
}, 90_000);
