// vitest globalSetup: provisions the system components the tests need before any worker starts,
// so a bare machine runs the whole suite after `npm install` (see test/support/browser.ts).
import { provisionChromium } from './browser.js';
import { provisionRedis } from './redis.js';

export default function setup(): void {
  provisionChromium((line) => process.stderr.write(`${line}\n`));
  provisionRedis((line) => process.stderr.write(`${line}\n`));
}
