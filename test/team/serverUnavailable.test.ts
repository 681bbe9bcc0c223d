import { filter, firstValueFrom } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { serverUnavailable } from '../../src/team/serverUnavailable.js';
import { quietLogger, record } from '../actors/connectionTestKit.js';
import { stdioFixture, stopAllFixtures } from '../fixtures/index.js';

const open: ServerConnection[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});
afterAll(stopAllFixtures);

// What a tool handed to an agent of one's own asks before each call (McpToolSet's fail-fast copies).
describe('serverUnavailable', () => {
  it('a server that never started: NOT_CONNECTED at once, and the ask wakes it through the machine (CALL)', async () => {
    const conn = new ServerConnection({
      config: { name: 'later', transport: 'stdio', ...stdioFixture(), connectTimeoutMs: 5_000 },
      logger: quietLogger,
    });
    open.push(conn);
    const rec = record(conn);
    const ready = firstValueFrom(conn.state$.pipe(filter((s) => s === 'ready')));
    expect(serverUnavailable(conn)).toMatchObject({
      kind: 'connection',
      code: 'NOT_CONNECTED',
      server: 'later',
      retryable: true,
    });
    // Nobody called start(): the machine took the CALL from idle.
    await ready;
    expect(rec.states().slice(0, 3)).toEqual(['idle', 'connecting', 'ready']);
    expect(serverUnavailable(conn)).toBeUndefined();
  });

  it('a closed server: CLOSED, not retryable, and it stays closed', async () => {
    const conn = new ServerConnection({
      config: { name: 'gone', transport: 'stdio', ...stdioFixture(), connectTimeoutMs: 5_000 },
      logger: quietLogger,
    });
    open.push(conn);
    await conn.start();
    await conn.close();
    expect(serverUnavailable(conn)).toMatchObject({ code: 'CLOSED', retryable: false });
    expect(conn.state).toBe('closed');
  });
});
