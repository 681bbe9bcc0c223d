import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

it('examples/graceful-degradation.ts: skipped server, capabilities, adaptive runs, live detection', async () => {
  const { stdout } = await run(`${root}node_modules/.bin/tsx`, ['examples/graceful-degradation.ts'], {
    cwd: root,
    timeout: 60_000,
  });
  expect(stdout).toMatch(/team is degraded; \d+ tools online/);
  expect(stdout).toMatch(/search\s+optional\s+(reconnecting|failed)\s+0 tools/);
  expect(stdout).toMatch(/search\s+MISSING/);
  expect(stdout).toMatch(/memory\s+9 tools, e\.g\. memory__create_entities/);
  expect(stdout).toMatch(
    /remember, search, save: degraded; needs \[filesystem, search, memory\], missing \[search\]\n\s+told the model: Note: Search is unavailable/,
  );
  expect(stdout).toMatch(/files__echo \{"text":"results saved"\}: results saved/);
  expect(stdout).toMatch(
    /available now: memory\n\s+save to a file: degraded; needs \[filesystem\], missing \[filesystem\]/,
  );
  expect(stdout).toMatch(/files__echo: not run, it is not among my tools right now/);
  expect(stdout).toMatch(/reason: capability search failed: resource CAPABILITY_MISSING/);
  // Nothing the task needs is missing any more; team.run still reports the dead optional server.
  expect(stdout).toMatch(
    /files reconnected \(new pid \d+\); available: filesystem, memory\n\s+save to a file: degraded; needs \[filesystem\], missing \[\]\n\s+reason: optional server search unavailable/,
  );
}, 90_000);
