// A connection keeps only the options it reads after it is built (src/actors/serverConnectionOptions.ts):
// given none of those, it keeps one shared empty object instead of the caller's options and raw config.
import { describe, expect, it } from 'vitest';
import { laterOptions, type ServerConnectionOptions } from '../../src/actors/serverConnectionOptions.js';
import { EventBus } from '../../src/events/EventBus.js';
import { quietLogger } from './connectionTestKit.js';

const config = { name: 'later', transport: 'stdio', command: 'in-memory' } as const;

describe('laterOptions', () => {
  it('options read only while building share one empty object', () => {
    const built: ServerConnectionOptions = {
      config,
      bus: new EventBus(),
      logger: quietLogger,
      clock: { now: () => 0, setTimeout, clearTimeout } as unknown as ServerConnectionOptions['clock'],
      transportFactory: () => {
        throw new Error('not called');
      },
      clientInfo: { name: 'app', version: '1' },
    };
    const kept = laterOptions(built);
    expect(kept).toBe(laterOptions({ config }));
    expect(kept).toEqual({});
    expect(Object.isFrozen(kept)).toBe(true);
  });

  it('options read later keep the caller’s object, whole', () => {
    const withRetry: ServerConnectionOptions = { config, retry: { maxAttempts: 1 } };
    expect(laterOptions(withRetry)).toBe(withRetry);
    // Present but undefined still counts: the caller's object reads the same.
    const withUndefined: ServerConnectionOptions = { config, sampling: undefined };
    expect(laterOptions(withUndefined)).toBe(withUndefined);
  });
});
