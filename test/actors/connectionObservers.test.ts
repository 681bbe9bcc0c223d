// The connection actor's observer shares one empty tag set, child record and history record among
// snapshots (src/actors/connectionObservers.ts): a compacted actor must behave as one left alone.
import { InMemoryTransport, McpServer } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { type AnyActorRef, assign, createActor, fromPromise, setup } from 'xstate';
import { type CompactableSnapshot, compactSnapshot } from '../../src/actors/connectionObservers.js';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { quietLogger } from './connectionTestKit.js';

/** Invokes and stops a child (a dictionary `children` afterwards), has a tag and a history state. */
const machine = setup({
  actors: { work: fromPromise(async () => 'done') },
}).createMachine({
  context: { runs: 0 },
  initial: 'idle',
  states: {
    idle: { on: { GO: 'working' } },
    working: {
      tags: ['busy'],
      invoke: {
        src: 'work',
        onDone: { target: 'done', actions: assign({ runs: ({ context }) => context.runs + 1 }) },
      },
    },
    done: {
      initial: 'first',
      on: { AGAIN: 'working', AWAY: 'away' },
      states: { first: { on: { NEXT: 'second' } }, second: {}, hist: { type: 'history' } },
    },
    away: { on: { BACK: 'done.hist' } },
  },
});

/** Runs the script on an actor, compacting every snapshot or not, and records what it reads. */
async function run(compact: boolean) {
  const actor = createActor(machine);
  const seen: unknown[] = [];
  actor.subscribe({
    next: (s) => {
      if (compact) compactSnapshot(s as unknown as CompactableSnapshot);
      seen.push({
        value: s.value,
        busy: s.hasTag('busy'),
        children: Object.keys(s.children),
        runs: s.context.runs,
        persisted: JSON.parse(JSON.stringify(actor.getPersistedSnapshot())),
      });
    },
    error: () => {},
  });
  actor.start();
  const settle = async (state: 'done' | 'away') => {
    while (!actor.getSnapshot().matches(state)) await new Promise((resolve) => setImmediate(resolve));
  };
  for (const [event, state] of [
    ['GO', 'done'],
    ['NEXT', 'done'],
    ['AWAY', 'away'],
    ['BACK', 'done'],
    ['AGAIN', 'done'],
  ] as const) {
    actor.send({ type: event });
    await settle(state);
  }
  const last = actor.getSnapshot();
  actor.stop();
  return { seen, last: { value: last.value, historyValue: Object.keys(last.historyValue) } };
}

const open: ServerConnection[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

describe('compactSnapshot', () => {
  it('leaves an actor reading and moving exactly as one whose snapshots are left alone', async () => {
    const compacted = await run(true);
    expect(compacted).toEqual(await run(false));
    expect(compacted.last).toEqual({ value: { done: 'first' }, historyValue: ['(machine).done.hist'] });
    // The history state brought `done` back to `second`.
    expect(compacted.seen).toContainEqual(expect.objectContaining({ value: { done: 'second' }, runs: 1 }));
  });

  it('shares the empty containers of idle connections and keeps what is not empty', async () => {
    const start = async (name: string) => {
      const server = new McpServer({ name, version: '1.0.0' });
      const conn = new ServerConnection({
        config: { name, transport: 'stdio', command: 'in-memory' },
        transportFactory: () => {
          const [client, serverSide] = InMemoryTransport.createLinkedPair();
          void server.connect(serverSide);
          return client;
        },
        logger: quietLogger,
      });
      open.push(conn);
      await conn.start();
      return (conn.actor as AnyActorRef).getSnapshot() as CompactableSnapshot;
    };
    const [a, b] = [await start('a'), await start('b')];
    expect(a.children).toBe(b.children);
    expect(a.tags).toBe(b.tags);
    expect(a.historyValue).toBe(b.historyValue);
    expect(Object.keys(a.children ?? { x: 1 })).toEqual([]);

    const busy = { value: 'x', tags: new Set(['t']), children: { c: 1 }, historyValue: { h: [] } };
    compactSnapshot(busy);
    expect(busy).toEqual({ value: 'x', tags: new Set(['t']), children: { c: 1 }, historyValue: { h: [] } });
  });
});
