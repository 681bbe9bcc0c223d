import { afterAll, describe, expect, it } from 'vitest';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { type ConnectionFault, faultyTransports } from '../../src/simulate/faultyTransports.js';
import { quietLogger, record } from '../actors/connectionTestKit.js';
import { stdioFixture } from '../fixtures/index.js';

const conns: ServerConnection[] = [];
afterAll(async () => {
  await Promise.all(conns.map((c) => c.close()));
});

describe('faultyTransports: fault injection under a ServerConnection', () => {
  it('the first connection crashes on the call; the connection reconnects and the idempotent retry succeeds', async () => {
    const fx = stdioFixture();
    const transports = faultyTransports((n) => (n === 1 ? { crashAfterMessages: 3 } : undefined));
    const faults: ConnectionFault[] = [];
    transports.faults$.subscribe((f) => faults.push(f));
    const conn = new ServerConnection({
      // Pinned to 2025 so the message count is the handshake's (initialize, result, initialized):
      // the crash then hits the tools/call, not the era probe.
      config: {
        name: 'fx',
        transport: 'stdio',
        command: fx.command,
        args: fx.args,
        protocolVersion: 'legacy',
      },
      transportFactory: transports,
      retry: { idempotent: true },
      connection: { backoffBaseMs: 10, backoffMaxMs: 50 },
      logger: quietLogger,
    });
    conns.push(conn);
    const seen = record(conn);
    await conn.start();
    const result = await conn.callTool('echo', { text: 'through the fault' });
    expect(result.content).toEqual([{ type: 'text', text: 'through the fault' }]);
    expect(faults).toEqual([
      {
        kind: 'crashed',
        direction: 'outgoing',
        method: 'tools/call',
        id: 1,
        seen: 3,
        server: 'fx',
        connection: 1,
      },
    ]);
    expect(seen.states()).toEqual(expect.arrayContaining(['ready', 'reconnecting', 'connecting']));
    expect(seen.ofType('call.failed')[0]?.error.kind).toBe('connection');
    expect(seen.ofType('call.succeeded')).toHaveLength(1);
  });
});
