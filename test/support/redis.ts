// Where the fleet tests find redis-server, and how a bare Debian machine gets one (Debian's package,
// or a local build named by AZCORE_REDIS_SERVER). Same pattern as test/support/browser.ts.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The env var naming a local redis-server (or valkey-server) executable. */
export const REDIS_ENV = 'AZCORE_REDIS_SERVER';

const CANDIDATES = [
  '/usr/bin/redis-server',
  '/usr/local/bin/redis-server',
  '/opt/homebrew/bin/redis-server',
  '/usr/bin/valkey-server',
  '/usr/local/bin/valkey-server',
];

/** The server to start: `AZCORE_REDIS_SERVER`, else the first usual install path that exists. */
export function findRedisServer(): string | undefined {
  const named = process.env[REDIS_ENV];
  if (named) return named;
  return CANDIDATES.find((path) => existsSync(path));
}

/**
 * On a bare Debian/Ubuntu machine run as root (CI, containers), installs Debian's `redis-server`
 * package, so `npm install && npm test` needs nothing installed by hand. Elsewhere it does nothing:
 * the fleet tests then say how to point them at a local server.
 */
export function provisionRedis(log: (line: string) => void = () => {}): string | undefined {
  const found = findRedisServer();
  if (found) return found;
  const canApt = process.platform === 'linux' && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canApt) return undefined;
  log("test setup: installing Debian's redis-server for the fleet tests (apt-get, once)");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'redis-server'], {
    stdio: 'ignore',
    env,
  });
  return findRedisServer();
}
