import { type Browser, chromium } from 'playwright-core';
import { CHROMIUM_ENV, findChromium } from '../support/browser.js';

// Without the background-networking flags Chromium keeps dialing out, and this sandbox refuses it.
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * Launches headless Chromium (Debian's, provisioned by the test setup, or the one `AZCORE_CHROMIUM`
 * names); fails saying how to provide one when there is none. Never downloads a browser.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) {
    throw new Error(
      `No Chromium found: set ${CHROMIUM_ENV}=/path/to/chrome (macOS, Windows), or install Debian's with \`apt-get install -y chromium\` (the test setup does it when run as root on Debian).`,
    );
  }
  return chromium.launch({ executablePath, headless: true, args: FLAGS });
}
