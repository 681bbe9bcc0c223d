import { Writable } from 'node:stream';
import { HumanMessage } from '@langchain/core/messages';
import { filter, firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { addSecrets } from '../../src/errors/redact.js';
import { EventBus, ofType } from '../../src/events/EventBus.js';
import type { PoolEvent, RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import { createLogger } from '../../src/observe/logger.js';
import { logEvents } from '../../src/observe/structuredLog.js';
import { TeamPool } from '../../src/pool/TeamPool.js';
import type { TeamPoolOptions } from '../../src/pool/teamPoolOptions.js';
import { finalAnswer, type MCPTeam } from '../../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { stdioFixture } from '../fixtures/index.js';

const pools: TeamPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.closeAll()));
});

/** Real teams without servers (fast to build): each answers with its own name. */
function factory(built: MCPTeam[] = []) {
  return async (name: string) => {
    const team = await new MCPTeamBuilder(name)
      .withLlm(new ScriptedChatModel([], { whenExhausted: { answer: `answered by ${name}` } }))
      .withLogger(quietLogger)
      .build();
    built.push(team);
    return team;
  };
}

/** A pool on a bus of the test's: `events` is everything that bus carried. */
async function pool(options: Partial<TeamPoolOptions<MCPTeam>> & { size: number }, built: MCPTeam[] = []) {
  const bus = new EventBus();
  const events: RuntimeEvent[] = [];
  bus.events$.subscribe((e) => events.push(e));
  const p = await TeamPool.create(factory(built), { logger: quietLogger, bus, ...options });
  pools.push(p);
  events.length = 0; // the prewarm builds
  return { pool: p, events, built, bus };
}

const ask = (team: MCPTeam, text = 'hi') => team.invoke({ messages: [new HumanMessage(text)] });

describe('TeamPool over real teams', () => {
  it('use() runs a task on a team over a stdio MCP server; a team whose server died is replaced', async () => {
    const fx = stdioFixture();
    const built: MCPTeam[] = [];
    const p = await TeamPool.create(
      async (name) => {
        const team = await new MCPTeamBuilder(name)
          .withLlm(
            new ScriptedChatModel(
              [
                { toolCalls: [{ name: 'files__echo', args: { text: name } }] },
                (messages) => ({ content: `echo said ${String(messages.at(-1)?.content)}` }),
              ],
              { whenExhausted: 'repeatLast' },
            ),
          )
          .withLogger(quietLogger)
          .withMcpServer(fx.command, fx.args, { name: 'files' })
          .build();
        built.push(team);
        return team;
      },
      { name: 'stdio', size: 1, isHealthy: (team) => team.getMcpServerCount() > 0 },
    );
    pools.push(p);
    const events: PoolEvent[] = [];
    p.events$.subscribe((e) => events.push(e));
    const first = await p.use((team) => ask(team));
    expect(finalAnswer(first.messages)).toBe('echo said stdio-1');
    expect(p.status).toMatchObject({ state: 'open', idle: 1, busy: 0, waiting: 0 });
    expect(events.map((e) => e.type)).toEqual(['pool.acquired', 'pool.released']);
    expect(events[0]).toMatchObject({ member: 'stdio-1', source: 'pool:stdio', pool: 'stdio' });

    // The idle team's server dies: the next acquire finds it unhealthy and gets a new team.
    const team = built[0]!;
    const lost = firstValueFrom(
      team.events$.pipe(filter((e) => e.type === 'connection.state' && e.from === 'ready')),
    );
    process.kill(team.getServer('files')!.pid!, 'SIGKILL');
    await lost;
    const second = await p.use((t) => ask(t));
    expect(finalAnswer(second.messages)).toBe('echo said stdio-2');
    expect(events.find((e) => e.type === 'pool.replaced')).toMatchObject({
      member: 'stdio-1',
      reason: 'failed its health check',
    });
    await team.cleanup(); // the pool's cleanup, already under way (cleanup is idempotent)
    expect(team.state).toBe('closed');
  });

  it('hands teams out first come, first served, and queues the rest', async () => {
    const { pool: p, events } = await pool({ size: 2 });
    const a = await p.acquire();
    const b = await p.acquire();
    const order: string[] = [];
    const third = p.acquire().then((t) => order.push(`third:${t.name}`));
    const fourth = p.acquire().then((t) => order.push(`fourth:${t.name}`));
    expect(p.status).toMatchObject({ busy: 2, waiting: 2 });
    p.release(b);
    p.release(a);
    await Promise.all([third, fourth]);
    expect(order).toEqual([`third:${b.name}`, `fourth:${a.name}`]);
    expect(events.flatMap((e) => (e.type === 'pool.queued' ? [e.position] : []))).toEqual([0, 1]);
  });

  it('a waiter times out on the injected clock with a typed error, and leaves no trace', async () => {
    const clock = new SimulatedClock();
    const { pool: p, events } = await pool({ size: 1, acquireTimeoutMs: 5_000, clock });
    const held = await p.acquire();
    const waiting = p.acquire().catch((e: unknown) => e);
    clock.increment(4_999);
    expect(p.status.waiting).toBe(1);
    clock.increment(1);
    const error = await waiting;
    expect(error).toMatchObject({ kind: 'timeout', code: 'POOL_ACQUIRE_TIMEOUT', timeoutMs: 5_000 });
    expect(String((error as Error).message)).toMatch(/Release teams sooner/);
    expect(p.status).toMatchObject({ waiting: 0, busy: 1 });
    expect(events.at(-1)).toMatchObject({ type: 'pool.acquireFailed', error: { kind: 'timeout' } });
    p.release(held);
    expect(p.status.idle).toBe(1);
  });

  it('an aborted waiter is a CancelledError and is taken out of the queue', async () => {
    const { pool: p } = await pool({ size: 1 });
    const held = await p.acquire();
    const controller = new AbortController();
    const waiting = p.acquire({ signal: controller.signal }).catch((e: unknown) => e);
    controller.abort();
    expect(await waiting).toMatchObject({ kind: 'cancelled' });
    expect(p.status.waiting).toBe(0);
    p.release(held);
  });

  it('use() releases the team when the work throws; a foreign or twice-released team is an InputError', async () => {
    const { pool: p, built } = await pool({ size: 1 });
    await expect(
      p.use(async () => {
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');
    expect(p.status).toMatchObject({ idle: 1, busy: 0 });
    const team = await p.acquire();
    p.release(team);
    expect(() => p.release(team)).toThrow(
      expect.objectContaining({ kind: 'input', code: 'POOL_NOT_ACQUIRED' }),
    );
    expect(built).toHaveLength(1);
  });

  it('a team closed while on loan is cleaned up and replaced by a new one', async () => {
    const { pool: p, events, built } = await pool({ size: 1 });
    const first = await p.acquire();
    await first.cleanup();
    p.release(first);
    const second = await p.acquire();
    expect(second).not.toBe(first);
    expect(second.name).toBe('pool-2');
    expect(events.map((e) => e.type)).toEqual([
      'pool.acquired',
      'pool.released',
      'pool.replaced',
      'pool.queued',
      'pool.built',
      'pool.acquired',
    ]);
    expect(events[2]).toMatchObject({ member: 'pool-1', reason: 'team is closed' });
    expect(built.map((t) => t.state)).toEqual(['closed', 'ready']);
    p.release(second);
  });

  it('a team that fails the health check when handed out is replaced before anyone gets it', async () => {
    let healthy = true;
    const { pool: p, events } = await pool({ size: 1, isHealthy: () => healthy });
    healthy = false;
    const waiting = p.acquire();
    healthy = true;
    const team = await waiting;
    expect(team.name).toBe('pool-2');
    expect(events.find((e) => e.type === 'pool.replaced')).toMatchObject({
      reason: 'failed its health check',
    });
    p.release(team);
  });

  it('closeAll rejects waiters, cleans every team (also one on loan), and is idempotent', async () => {
    const { pool: p, built } = await pool({ size: 2 });
    await p.acquire();
    await p.acquire();
    const waiting = p.acquire().catch((e: unknown) => e);
    const closing = p.closeAll();
    expect(p.closeAll()).toBe(closing);
    await closing;
    expect(await waiting).toMatchObject({ kind: 'connection', code: 'POOL_CLOSED' });
    expect(built.map((t) => t.state)).toEqual(['closed', 'closed']);
    expect(p.status.state).toBe('closed');
    await expect(p.acquire()).rejects.toMatchObject({ code: 'POOL_CLOSED' });
  });

  it('builds on demand with prewarm 0; a failing factory fails the waiter, and create when nothing builds', async () => {
    const { pool: lazy, built } = await pool({ size: 2, prewarm: 0 });
    expect(built).toHaveLength(0);
    const team = await lazy.acquire();
    expect(built).toHaveLength(1);
    lazy.release(team);

    let fail = false;
    const flaky = await TeamPool.create(
      async (name) => {
        if (fail) return new MCPTeamBuilder(name).build(); // no LLM: a ConfigurationError
        return factory()(name);
      },
      { size: 1, prewarm: 0, logger: quietLogger },
    );
    pools.push(flaky);
    fail = true;
    await expect(flaky.acquire()).rejects.toMatchObject({ kind: 'configuration' });
    expect(flaky.status).toMatchObject({ empty: 1, waiting: 0 });

    await expect(
      TeamPool.create((name) => new MCPTeamBuilder(name).build(), { size: 2, logger: quietLogger }),
    ).rejects.toMatchObject({ kind: 'connection', code: 'POOL_BUILD_FAILED' });
    await expect(TeamPool.create(factory(), { size: 0 })).rejects.toMatchObject({ kind: 'configuration' });
  });
});

describe('pool events are RuntimeEvents on an EventBus', () => {
  it('one subscription to a shared bus sees two pools, each pool.events$ only its own, with the common envelope', async () => {
    const clock = new SimulatedClock();
    clock.set(1_000);
    const bus = new EventBus();
    const acquired: RuntimeEvent[] = [];
    bus.events$.pipe(ofType('pool.acquired')).subscribe((e) => acquired.push(e));
    const options = { logger: quietLogger, bus, clock, size: 1 };
    const a = await TeamPool.create(factory(), { ...options, name: 'a' });
    const b = await TeamPool.create(factory(), { ...options, name: 'b' });
    pools.push(a, b);
    const ofA: PoolEvent[] = [];
    a.events$.subscribe((e) => ofA.push(e));
    const teamA = await a.acquire();
    clock.increment(250);
    a.release(teamA);
    b.release(await b.acquire());
    expect(acquired).toEqual([
      {
        type: 'pool.acquired',
        at: 1_000,
        source: 'pool:a',
        pool: 'a',
        requestId: 'r1',
        member: 'a-1',
        waitedMs: 0,
      },
      {
        type: 'pool.acquired',
        at: 1_250,
        source: 'pool:b',
        pool: 'b',
        requestId: 'r1',
        member: 'b-1',
        waitedMs: 0,
      },
    ]);
    expect(ofA).toEqual([
      acquired[0],
      {
        type: 'pool.released',
        at: 1_250,
        source: 'pool:a',
        pool: 'a',
        member: 'a-1',
        heldMs: 250,
        healthy: true,
      },
    ]);

    // Closing a pool on a shared bus leaves the bus open for the others.
    await a.closeAll();
    expect(ofA.map((e) => e.type).slice(-2)).toEqual(['pool.state', 'pool.state']);
    expect(ofA.at(-1)).toMatchObject({ from: 'closing', to: 'closed' });
    b.release(await b.acquire());
    expect(acquired.map((e) => e.source)).toEqual(['pool:a', 'pool:b', 'pool:b']);
  });

  it('a pool without a bus has its own: events$ carries every pool event and completes with closeAll', async () => {
    const p = await TeamPool.create(factory(), { size: 1, logger: quietLogger });
    const all = lastValueFrom(p.events$.pipe(toArray()));
    p.release(await p.acquire());
    await p.closeAll();
    expect(
      (await all).map((e) => `${e.type}${e.type === 'pool.state' ? ` ${e.from}->${e.to}` : ''}`),
    ).toEqual(['pool.acquired', 'pool.released', 'pool.state open->closing', 'pool.state closing->closed']);
  });

  it("failure events carry no secret of the bus, and logEvents writes them at warn with the pool's fields", async () => {
    const bus = new EventBus();
    addSecrets(bus, ['hunter2-token']);
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n'))
          if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    logEvents(bus.events$, createLogger({ level: 'debug', destination }));
    const seen: RuntimeEvent[] = [];
    bus.events$.subscribe((e) => seen.push(e));
    let fail = false;
    let throwInCheck = false;
    const p = await TeamPool.create(
      async (name) => {
        if (fail) throw new Error('login refused for hunter2-token');
        return factory()(name);
      },
      {
        name: 'secretive',
        size: 1,
        logger: quietLogger,
        bus,
        isHealthy: () => {
          if (throwInCheck) throw new Error('probe saw hunter2-token');
          return true;
        },
      },
    );
    pools.push(p);
    fail = true;
    throwInCheck = true;
    await expect(p.acquire()).rejects.toThrow(/login refused/);
    const text = JSON.stringify(seen);
    expect(text).not.toContain('hunter2-token');
    expect(seen.map((e) => e.type)).toEqual([
      'pool.built',
      'pool.replaced',
      'pool.buildFailed',
      'pool.acquireFailed',
    ]);
    expect(seen[1]).toMatchObject({
      reason: 'health check threw: Error: probe saw [redacted]',
    });
    expect(seen[3]).toMatchObject({
      error: { message: expect.stringContaining('login refused for [redacted]') },
    });
    expect(JSON.stringify(lines)).not.toContain('hunter2-token');
    expect(lines.map((l) => [l.event, l.level])).toEqual([
      ['pool.built', 'debug'],
      ['pool.replaced', 'warn'],
      ['pool.buildFailed', 'warn'],
      ['pool.acquireFailed', 'warn'],
    ]);
    expect(lines[1]).toMatchObject({ pool: 'secretive', member: 'secretive-1', source: 'pool:secretive' });
    expect(lines[3]).toMatchObject({ error_kind: 'protocol', operation: 'pool.acquireFailed' });
  });
});
