import { createWebSocketReceiver, type StatelyInspectionEvent } from '@statelyai/inspect';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createActor, type InspectionEvent } from 'xstate';
import { circuitBreakerMachine } from '../../machines/index.js';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { isConfigurationError } from '../../src/errors/ConfigurationError.js';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import {
  combineInspectors,
  createInspectionStream,
  createLocalInspector,
  startInspectorServer,
} from '../../src/observe/inspector.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { stdioFixture } from '../fixtures/index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Resolves with the first message of the socket that `match` accepts. */
function nextMessage(socket: WebSocket, match: (text: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    const onMessage = (data: Buffer) => {
      const text = data.toString();
      if (!match(text)) return;
      socket.off('message', onMessage);
      resolve(text);
    };
    socket.on('message', onMessage);
  });
}

async function client(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  cleanups.push(() => socket.close());
  return socket;
}

describe('combineInspectors', () => {
  it('feeds every inspector, observers and callbacks alike, even when one throws', () => {
    const seen: string[] = [];
    const inspect = combineInspectors(
      () => {
        throw new Error('broken inspector');
      },
      (e) => seen.push(`fn:${e.type}`),
      undefined,
      { next: (e) => seen.push(`observer:${e.type}`) },
    );
    const actor = createActor(circuitBreakerMachine, { inspect, input: {} }).start();
    actor.stop();
    expect(seen).toContain('fn:@xstate.actor');
    expect(seen).toContain('observer:@xstate.snapshot');
  });
});

describe('createInspectionStream', () => {
  it('reports each change of an actor top-level state, by system id', async () => {
    const inspection = createInspectionStream();
    const states = firstValueFrom(inspection.states$.pipe(take(3), toArray()));
    const actor = createActor(circuitBreakerMachine, {
      inspect: inspection.inspect,
      systemId: 'breaker:files',
      input: { strategy: { kind: 'consecutive', threshold: 1 } },
    }).start();
    actor.send({ type: 'FAILURE', at: 0 });
    actor.send({ type: 'FAILURE', at: 1 }); // still open: no new state
    actor.send({ type: 'RESET' });
    actor.stop();
    expect(await states).toEqual([
      { actor: 'breaker:files', state: 'closed', value: 'closed' },
      { actor: 'breaker:files', state: 'open', value: 'open' },
      { actor: 'breaker:files', state: 'closed', value: 'closed' },
    ]);
    inspection.complete();
  });
});

describe('startInspectorServer', () => {
  it('binds 127.0.0.1, relays what one client sends to the others and replays it to late joiners', async () => {
    const relay = await startInspectorServer();
    cleanups.push(() => relay.close());
    expect(relay.url).toBe(`ws://127.0.0.1:${relay.port}`);
    const sender = await client(relay.url);
    const viewer = await client(relay.url);
    const received = nextMessage(viewer, () => true);
    sender.send('{"type":"@xstate.event"}');
    expect(await received).toBe('{"type":"@xstate.event"}');
    const late = new WebSocket(relay.url);
    cleanups.push(() => late.close());
    expect(await nextMessage(late, () => true)).toBe('{"type":"@xstate.event"}');
  });

  it('refuses an address other than loopback', async () => {
    const error = await startInspectorServer({ host: '0.0.0.0' }).catch((e: unknown) => e);
    expect(isConfigurationError(error)).toBe(true);
    expect(String(error)).toMatch(/loopback/);
  });
});

describe('inspector wiring', () => {
  it('a team built withInspector(createLocalInspector()) shows its server and breaker actors to a Stately receiver', async () => {
    const inspector = await createLocalInspector();
    cleanups.push(() => inspector.stop());
    expect(inspector.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const received: StatelyInspectionEvent[] = [];
    const sawReady = new Promise<void>((resolve) => {
      createWebSocketReceiver({ server: inspector.url }).subscribe((event) => {
        received.push(event);
        const value: unknown =
          event.type === '@xstate.snapshot' ? (event.snapshot as { value?: unknown }).value : undefined;
        if (typeof value === 'object' && value !== null && 'connected' in value) resolve();
      });
    });
    // The receiver is a client of the relay too: wait until it is connected before the team starts.
    const viewer = await client(inspector.url);
    viewer.close();
    const fx = stdioFixture();
    const team = await new MCPTeamBuilder('inspected')
      .withLlm(new ScriptedChatModel([{ content: 'done' }]))
      .withLogger(quietLogger)
      .withInspector(inspector.inspect)
      .withMcpServer(fx.command, fx.args, { name: 'files' })
      .build();
    cleanups.push(() => team.cleanup());
    await sawReady;
    const actors = received.flatMap((e) => (e.type === '@xstate.actor' ? [e.name] : []));
    expect(actors).toEqual(expect.arrayContaining(['server:files', 'breaker:files']));
  });

  it('a single ServerConnection takes any inspection observer', async () => {
    const inspection = createInspectionStream();
    const events: InspectionEvent[] = [];
    inspection.events$.subscribe((e) => events.push(e));
    const ready = firstValueFrom(inspection.states$.pipe(filter((s) => s.state === 'connected')));
    const fx = stdioFixture();
    const server = new ServerConnection({
      config: { name: 'solo', transport: 'stdio', command: fx.command, args: fx.args },
      logger: quietLogger,
      inspect: inspection.inspect,
    });
    cleanups.push(() => server.close());
    await server.start();
    expect((await ready).value).toEqual({
      connected: { health: 'ready', keepalive: 'off', tools: 'listed' },
    });
    expect(events.some((e) => e.type === '@xstate.event' && e.event.type === 'CONNECT')).toBe(true);
  });
});
