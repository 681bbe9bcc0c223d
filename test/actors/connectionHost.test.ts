// Standalone connections on the wall clock share one XState actor system (src/actors/connectionHost.ts).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { inMemoryServer, quietLogger } from './connectionTestKit.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A fresh in-memory server per connect, with an `echo` tool. */
const inMemory = () =>
  inMemoryServer(
    (server) => server.registerTool('echo', {}, async () => ({ content: [{ type: 'text', text: 'ok' }] })),
    'host-test',
  ).factory();

const open: ServerConnection[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

function connection(name: string, extra: Partial<ConstructorParameters<typeof ServerConnection>[0]> = {}) {
  const conn = new ServerConnection({
    config: { name, transport: 'stdio', command: 'in-memory' },
    transportFactory: inMemory,
    logger: quietLogger,
    ...extra,
  });
  open.push(conn);
  return conn;
}

/** Collects garbage until every weak reference is empty (or gives up after a few rounds). */
async function collected(refs: WeakRef<object>[]): Promise<number> {
  for (let round = 0; round < 10; round++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    if (refs.every((r) => r.deref() === undefined)) break;
  }
  const alive = refs.flatMap((r, i) => (r.deref() === undefined ? [] : [i]));
  if (alive.length && process.env.DEBUG_HOST) console.log('alive', alive);
  return alive.length;
}

// Made in functions of their own: a suspended async test would keep its last local in a register.
function unstarted(name: string): ServerConnection {
  return new ServerConnection({
    config: { name, transport: 'stdio', command: 'in-memory' },
    transportFactory: inMemory,
    logger: quietLogger,
  });
}

async function usedAndClosed(name: string): Promise<ServerConnection> {
  const conn = unstarted(name);
  await conn.start();
  await conn.callTool('echo');
  await conn.close();
  return conn;
}

async function connectedAndDropped(name: string): Promise<ServerConnection> {
  const conn = unstarted(name);
  await conn.start();
  return conn;
}

function refsTo(conn: ServerConnection): WeakRef<object>[] {
  return [new WeakRef(conn), new WeakRef(conn.actor)];
}

describe('the shared actor system of standalone connections', () => {
  it('shares a system among a few dozen connections on the wall clock; an inspector or another clock gets a system of its own', () => {
    const plain = Array.from({ length: 64 }, (_, i) => connection(`p${i}`));
    const systems = new Map<unknown, number>();
    for (const c of plain) systems.set(c.actor.system, (systems.get(c.actor.system) ?? 0) + 1);
    // 64 connections: one system, or two when the first host was partly taken already.
    expect(systems.size).toBeLessThanOrEqual(2);
    expect(Math.max(...systems.values())).toBeLessThanOrEqual(64);
    const a = plain[0] as ServerConnection;
    const inspected = connection('c', { inspect: () => {} });
    const simulated = connection('d', { clock: new SimulatedClock() });
    for (const own of [inspected, simulated]) {
      expect(systems.has(own.actor.system)).toBe(false);
    }
    expect(simulated.actor.system).not.toBe(inspected.actor.system);
    expect(a.actor.system).not.toBe(inspected.actor.system);
  });

  it('keeps each connection its own delayed events: closing one leaves the keepalive of another pending', async () => {
    const a = connection('a', { connection: { pingIntervalMs: 3_600_000 } });
    const b = connection('b', { connection: { pingIntervalMs: 3_600_000 } });
    await Promise.all([a.start(), b.start()]);
    const pendingOf = (conn: ServerConnection) =>
      Object.values(conn.actor.system.getSnapshot()._scheduledEvents).filter((e) => e.source === conn.actor)
        .length;
    const pendingA = pendingOf(a);
    expect(pendingA).toBeGreaterThan(0);
    expect(pendingOf(b)).toBe(pendingA);
    await b.close();
    expect(pendingOf(b)).toBe(0);
    expect(pendingOf(a)).toBe(pendingA);
    await a.close();
    expect(pendingOf(a)).toBe(0);
  });

  it('does not hold connections: constructed and dropped, or started and closed, they are collected', async () => {
    const refs: WeakRef<object>[] = [];
    for (let i = 0; i < 20; i++) refs.push(...refsTo(unstarted(`dropped${i}`)));
    for (let i = 0; i < 5; i++) refs.push(...refsTo(await connectedAndDropped(`unclosed${i}`)));
    for (let i = 0; i < 5; i++) refs.push(...refsTo(await usedAndClosed(`closed${i}`)));
    expect(await collected(refs)).toBe(0);
  });

  it('connects a connection never started at its first call', async () => {
    const conn = connection('lazy');
    expect(conn.state).toBe('idle');
    await expect(conn.callTool('echo')).resolves.toMatchObject({ content: [{ text: 'ok' }] });
    expect(conn.state).toBe('ready');
  });

  it('closes a connection never started', async () => {
    const states: string[] = [];
    const conn = connection('unused');
    conn.events$.subscribe((e) => {
      if (e.type === 'connection.state') states.push(e.to);
    });
    await conn.close();
    expect(conn.state).toBe('closed');
    expect(conn.actor.getSnapshot().status).not.toBe('active');
    expect(states.at(-1)).toBe('closed');
  });
});
