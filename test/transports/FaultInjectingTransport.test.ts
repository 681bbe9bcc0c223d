import type { JSONRPCMessage } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/client';
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { isConfigurationError } from '../../src/errors/ConfigurationError.js';
import { isConnectionError } from '../../src/errors/ConnectionError.js';
import { classifyError } from '../../src/errors/classifyError.js';
import { createTransport, type TransportHandle } from '../../src/transports/createTransport.js';
import {
  type FaultDirection,
  FaultInjectingTransport,
  type FaultInjectionOptions,
  type InjectedFault,
} from '../../src/transports/FaultInjectingTransport.js';
import { stdioFixture } from '../fixtures/index.js';

const handles: TransportHandle[] = [];
afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.close()));
});

const toolCalls = (m: JSONRPCMessage, d: FaultDirection) =>
  d === 'outgoing' && 'method' in m && m.method === 'tools/call';

/** A real stdio transport to the fixture server, wrapped; the client connects through the faults. */
async function connect(options: FaultInjectionOptions) {
  const fx = stdioFixture();
  const handle = createTransport({ name: 'fx', transport: 'stdio', command: fx.command, args: fx.args });
  handles.push(handle);
  const faulty = new FaultInjectingTransport(handle.transport, options);
  const faults: InjectedFault[] = [];
  faulty.faults$.subscribe((f) => faults.push(f));
  const client = new Client({ name: 'fault-test', version: '1.0.0' });
  await client.connect(faulty);
  return { client, faulty, faults, handle };
}

const echo = (client: Client, text: string, timeout?: number) =>
  client.callTool({ name: 'echo', arguments: { text } }, timeout ? { timeout } : {});

describe('FaultInjectingTransport over a real stdio server', () => {
  it('passes everything through when no fault is configured', async () => {
    const { client, faults } = await connect({});
    const result = await echo(client, 'clean');
    expect(result.content).toEqual([{ type: 'text', text: 'clean' }]);
    expect(faults).toEqual([]);
  });

  it('crashes after N messages: the call in flight fails as a lost connection and onclose fires', async () => {
    // initialize request + response + initialized notification = 3 messages; the 4th is lost.
    const { client, faults } = await connect({ crashAfterMessages: 3 });
    const closed = new Promise<void>((resolve) => {
      client.onclose = resolve;
    });
    const error = await echo(client, 'never').then(
      () => undefined,
      (e: unknown) => classifyError(e),
    );
    expect(error?.kind).toBe('connection');
    await closed;
    expect(faults).toEqual([
      { kind: 'crashed', direction: 'outgoing', method: 'tools/call', id: 1, seen: 3 },
    ]);
    await expect(echo(client, 'after')).rejects.toThrow(/Not connected/);
  });

  it('drops a request: the client sees its own timeout, and other traffic still flows', async () => {
    const { client, faults } = await connect({ dropRate: 1, appliesTo: toolCalls });
    const error = await echo(client, 'lost', 300).then(
      () => undefined,
      (e: unknown) => classifyError(e),
    );
    expect(error?.kind).toBe('timeout');
    expect(faults.map((f) => `${f.kind}:${f.method}`)).toEqual(['dropped:tools/call']);
    await expect(client.ping()).resolves.toBeDefined();
  });

  it('fails sends with a typed, retryable ConnectionError at the given rate', async () => {
    const { client } = await connect({ errorRate: 1, appliesTo: toolCalls });
    const error = await echo(client, 'x').catch((e: unknown) => e);
    expect(isConnectionError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'INJECTED_FAULT', retryable: true });
  });

  it('delays messages on the injected clock, keeping their order', async () => {
    const clock = new SimulatedClock();
    const { client, faulty, faults } = await connect({ latencyMs: 1_000, appliesTo: toolCalls, clock });
    const delayed = firstValueFrom(faulty.faults$.pipe(filter((f) => f.kind === 'delayed')));
    let settled = false;
    const call = echo(client, 'late').finally(() => {
      settled = true;
    });
    await delayed;
    // A ping sent after the delayed call goes straight through and comes back first.
    await client.ping();
    expect(settled).toBe(false);
    clock.increment(1_000);
    await expect(call).resolves.toMatchObject({ content: [{ type: 'text', text: 'late' }] });
    expect(faults).toEqual([
      { kind: 'delayed', direction: 'outgoing', method: 'tools/call', id: 1, delayMs: 1_000, seen: 3 },
    ]);
  });

  it('replays the same faults for the same seed', async () => {
    const pattern = async (seed: number) => {
      const { client } = await connect({ errorRate: 0.5, appliesTo: toolCalls, seed });
      const outcomes: string[] = [];
      for (let i = 0; i < 12; i++)
        outcomes.push(
          await echo(client, `${i}`).then(
            () => 'ok',
            () => 'fail',
          ),
        );
      return outcomes.join(' ');
    };
    const [first, again, other] = await Promise.all([pattern(7), pattern(7), pattern(8)]);
    expect(again).toBe(first);
    expect(first).toMatch(/ok/);
    expect(first).toMatch(/fail/);
    expect(other).not.toBe(first);
  });

  it('rejects rates outside [0, 1] with a ConfigurationError', () => {
    const fx = stdioFixture();
    const handle = createTransport({ name: 'fx', transport: 'stdio', command: fx.command, args: fx.args });
    const error = (() => {
      try {
        return new FaultInjectingTransport(handle.transport, { dropRate: 2 });
      } catch (e) {
        return e;
      }
    })();
    expect(isConfigurationError(error)).toBe(true);
    expect(String(error)).toMatch(/dropRate must be in \[0, 1\]/);
  });
});
