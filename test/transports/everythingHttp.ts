// Starts server-everything in an HTTP mode, forced onto 127.0.0.1 by the loopbackOnly.mjs preload
// (the server itself has no host option and would bind every interface).
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';
import { LOOPBACK_ONLY } from './helpers.js';

const EVERYTHING = fileURLToPath(
  new URL('../../node_modules/@modelcontextprotocol/server-everything/dist/index.js', import.meta.url),
);

export interface EverythingHttp {
  /** http://127.0.0.1:PORT */
  base: string;
  pid: number;
  exited: Promise<void>;
  /** SIGKILLs the process group; resolves once the server has exited. */
  kill(): Promise<void>;
}

export async function startEverythingHttp(mode: 'streamableHttp' | 'sse'): Promise<EverythingHttp> {
  const child: ChildProcess = spawn(process.execPath, ['--import', LOOPBACK_ONLY, EVERYTHING, mode], {
    env: { ...getDefaultEnvironment(), PORT: '0' },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('server-everything did not start');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited;
  };
  const lines = createInterface({ input: child.stderr! });
  const address = await new Promise<{ address: string; port: number }>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line.startsWith('AZCORE_LISTENING ')) resolve(JSON.parse(line.slice('AZCORE_LISTENING '.length)));
    });
    exited.then(() => reject(new Error('server-everything exited before listening')));
  });
  if (address.address !== '127.0.0.1') {
    await kill();
    throw new Error(`server-everything bound ${address.address}, not loopback; refusing to use it`);
  }
  return { base: `http://127.0.0.1:${address.port}`, pid, exited, kill };
}
