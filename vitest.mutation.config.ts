import { defineConfig } from 'vitest/config';

// Fast unit tests covering the files Stryker mutates (see stryker.config.json).
// Not used by `npm test`; only by `npm run test:mutation`.
export default defineConfig({
  test: {
    include: [
      'test/machines/breakerStrategies.test.ts',
      'test/machines/circuitBreaker.machine.test.ts',
      'test/actors/CircuitBreaker.test.ts',
      'test/resilience/backoff.test.ts',
      'test/resilience/retry.test.ts',
      'test/resilience/adaptiveRetry.test.ts',
    ],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
