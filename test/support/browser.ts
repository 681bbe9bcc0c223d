// Where the browser tests find Chromium, and how a bare Debian machine gets one (never a download
// from a browser vendor: Debian's package, or a local Chrome named by AZCORE_CHROMIUM).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The env var naming a local Chrome/Chromium executable (macOS, Windows, other Linux). */
export const CHROMIUM_ENV = 'AZCORE_CHROMIUM';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
];

/** The Chromium to drive: `AZCORE_CHROMIUM`, else the first usual install path that exists. */
export function findChromium(): string | undefined {
  const named = process.env[CHROMIUM_ENV];
  if (named) return named;
  return CANDIDATES.find((path) => existsSync(path));
}

/**
 * On a bare Debian/Ubuntu machine run as root (CI, containers), installs Debian's `chromium`
 * package, so `npm install && npm test` needs nothing installed by hand. Elsewhere it does
 * nothing: the browser test then says how to point it at a local Chrome.
 */
export function provisionChromium(log: (line: string) => void = () => {}): string | undefined {
  const found = findChromium();
  if (found) return found;
  const canApt = process.platform === 'linux' && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canApt) return undefined;
  log("test setup: installing Debian's chromium for the browser tests (apt-get, once)");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'ignore', env });
  return findChromium();
}
