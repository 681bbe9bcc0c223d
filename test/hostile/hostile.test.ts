// The hostile-server suite: one case per class of hostile server behaviour, each against a real
// hostile server beside a healthy one, with the chaos matrix's invariants. Results:
// test-results/hostile.json, the "Hostile servers" section of docs/reliability.md.
import { afterAll, describe, it } from 'vitest';
import { stopAllFixtures } from '../fixtures/index.js';
import { CONNECTION_CLASSES } from './connectionCases.js';
import { runCase, writeResults } from './harness.js';
import { TOOL_CLASSES } from './toolCases.js';

afterAll(async () => {
  await stopAllFixtures();
  writeResults();
});

describe('hostile servers', () => {
  for (const cls of [...TOOL_CLASSES, ...CONNECTION_CLASSES]) {
    const test = cls.knownFailure ? it.fails : it;
    test(
      `${cls.id}: ${cls.label}`,
      () => runCase(cls.id, cls.label, cls.run, cls.knownFailure),
      cls.timeoutMs ?? 20_000,
    );
  }
});
