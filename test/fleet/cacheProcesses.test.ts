// The shared answer cache across processes: one child process computes and caches an answer; a
// second child, whose live call fails, serves that answer from the same real redis-server.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { freshPrefix } from './connections.js';
import { useRedisServer } from './setup.js';

const WORKER = fileURLToPath(new URL('./cacheWorker.ts', import.meta.url));
const run = promisify(execFile);
const server = useRedisServer();

async function replica(
  env: Record<string, string>,
): Promise<{ pid: number; status: string; value: unknown }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', WORKER], {
    env: { ...process.env, REDIS_URL: server.url, ...env },
    timeout: 90_000, // three tsx boots on a loaded 2-core machine took 45 s in all
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) as string);
}

it('an answer cached by one process is served by another whose live call fails', async () => {
  const prefix = freshPrefix('p');
  const first = await replica({ FLEET_PREFIX: prefix, LIVE: 'up', TASK: 'Summarize the incident' });
  expect(first).toMatchObject({ status: 'success', value: { answer: `computed by process ${first.pid}` } });
  const second = await replica({ FLEET_PREFIX: prefix, LIVE: 'down', TASK: '  Summarize the incident ' });
  expect(second.pid).not.toBe(first.pid);
  expect(second).toMatchObject({ status: 'degraded', value: { answer: `computed by process ${first.pid}` } });
  // Another fleet (prefix) shares nothing.
  const stranger = await replica({
    FLEET_PREFIX: freshPrefix('p'),
    LIVE: 'down',
    TASK: 'Summarize the incident',
  });
  expect(stranger.status).toBe('failed');
}, 240_000);
