import { type Browser, chromium, type Page } from 'playwright-core';
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

export interface WatchedPage {
  readonly page: Page;
  /** Uncaught page errors and console errors, in order: a test expects it to stay empty. */
  readonly errors: string[];
}

/**
 * A new page whose uncaught errors and console errors are collected in `errors`; `ignore` drops
 * console errors a test asked for (a refused action logs its HTTP status all the same).
 */
export async function openWatchedPage(
  browser: Browser,
  options: { viewport?: { width: number; height: number }; ignore?: (text: string) => boolean } = {},
): Promise<WatchedPage> {
  const page = await browser.newPage(options.viewport ? { viewport: options.viewport } : {});
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !options.ignore?.(m.text())) errors.push(m.text());
  });
  return { page, errors };
}
