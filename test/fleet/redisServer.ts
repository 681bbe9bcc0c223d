// A real redis-server for the fleet tests: on a free loopback port, no persistence, killed and
// restarted on the same port by the tests that need Redis to die.
import { type ChildProcess, spawn } from 'node:child_process';
import { closedPort } from '../chaos/cell.js';
import { findRedisServer, REDIS_ENV } from '../support/redis.js';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** SIGKILLs the server; resolves once it has exited. */
  kill(): Promise<void>;
  /** Freezes (SIGSTOP) or thaws (SIGCONT) it: a server that accepts nothing and answers nothing. */
  pause(): void;
  resume(): void;
  /** Starts a new, empty server on the same port (the old one is killed first if alive). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function launch(binary: string, port: number): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server did not start on port ${port} within 10 s:\n${out}`));
    }, 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code, signal) => {
      live.delete(child);
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code ?? signal}) before it was ready:\n${out}`));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts redis-server on a free 127.0.0.1 port and waits until it accepts connections. */
export async function startRedisServer(): Promise<RedisServer> {
  const binary = findRedisServer();
  if (!binary) throw new Error(`No redis-server found: install one or set ${REDIS_ENV} to its path.`);
  const port = await closedPort();
  let child = await launch(binary, port);
  const kill = async () => {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited(child);
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    async restart() {
      await kill();
      child = await launch(binary, port);
    },
    stop: kill,
  };
}
