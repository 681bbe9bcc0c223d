import { HumanMessage } from '@langchain/core/messages';
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import type { PoolEvent } from '../../src/pool/PoolEvent.js';
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

async function pool(options: Partial<TeamPoolOptions<MCPTeam>> & { size: number }, built: MCPTeam[] = []) {
  const p = await TeamPool.create(factory(built), { logger: quietLogger, ...options });
  pools.push(p);
  const events: PoolEvent[] = [];
  p.events$.subscribe((e) => events.push(e));
  return { pool: p, events, built };
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
    expect(events.filter((e) => e.type === 'pool.queued').map((e) => e.position)).toEqual([0, 1]);
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
