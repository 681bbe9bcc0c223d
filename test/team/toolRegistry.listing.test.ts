// The tool registry's listing rules on an injected clock: a listing is bounded by its server's list
// budget, counts against its breaker, holds a turn only on the first attempt, and is no verdict on
// the server when the turn itself ran out.
import type { Tool } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { CircuitBreaker } from '../../src/actors/CircuitBreaker.js';
import type { CallOptions, ServerConnection } from '../../src/actors/ServerConnection.js';
import { Deadline } from '../../src/resilience/Deadline.js';
import { ToolRegistry } from '../../src/team/ToolRegistry.js';

const ECHO: Tool = {
  name: 'echo',
  inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
};

/** A stand-in for ServerConnection: a real breaker, and a listing that answers or hangs until aborted. */
function server(name: string, clock: SimulatedClock, hangs: boolean) {
  const breaker = new CircuitBreaker({
    id: name,
    strategy: { kind: 'consecutive', threshold: 2 },
    resetTimeoutMs: 600_000,
    clock,
  });
  let tools: Tool[] | undefined;
  const stub = {
    name,
    state: 'ready',
    breaker,
    listings: 0,
    get available() {
      return breaker.state !== 'open';
    },
    get cachedTools() {
      return tools;
    },
    async listTools(options: CallOptions = {}): Promise<Tool[]> {
      stub.listings++;
      if (!hangs) {
        tools = [ECHO];
        return tools;
      }
      const signal = options.deadline?.signal;
      return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
    },
    callTool: async () => ({ content: [] }),
  };
  return stub;
}
const asServers = (...s: ReturnType<typeof server>[]) => s as unknown as ServerConnection[];
/** Lets promise callbacks and timers already due run (no wall-clock wait). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ToolRegistry listings', () => {
  it('a hanging listing holds the first turn for its list budget only, counts against the breaker, then retries in the background', async () => {
    const clock = new SimulatedClock();
    const healthy = server('healthy', clock, false);
    const hanging = server('hanging', clock, true);
    const registry = new ToolRegistry(asServers(healthy, hanging), { listBudgetMs: () => 2_000, clock });
    const turn = Deadline.after(120_000, { clock, step: 'turn' });

    let done = false;
    const first = registry.refresh(turn).then(() => {
      done = true;
    });
    await settle();
    expect(healthy.cachedTools).toEqual([ECHO]);
    clock.increment(1_999);
    await settle();
    expect(done).toBe(false);
    clock.increment(1);
    await first;
    expect(registry.listingFailure('hanging')).toMatchObject({ kind: 'timeout' });
    expect(hanging.breaker.state).toBe('closed'); // one failure of two

    const live = registry.live();
    expect(live.tools.map((t) => t.name)).toEqual(['healthy__echo']);
    expect(live.capabilities[1]).toMatchObject({
      server: 'hanging',
      available: false,
      missing: expect.stringMatching(/its tools could not be listed \(TimeoutError/),
    });

    // The next turn does not wait, and nothing is sent before the retry time (the budget).
    await registry.refresh(turn);
    expect(hanging.listings).toBe(1);
    clock.increment(2_000);
    await registry.refresh(turn); // starts the retry in the background, returns at once
    expect(hanging.listings).toBe(2);
    clock.increment(2_000);
    await settle();
    expect(hanging.breaker.state).toBe('open'); // the second failure opened it
    turn.dispose();
  });

  it("a listing cut by the turn's own deadline is no verdict on the server; the next turn tries again", async () => {
    const clock = new SimulatedClock();
    const hanging = server('hanging', clock, true);
    const registry = new ToolRegistry(asServers(hanging), { listBudgetMs: () => 2_000, clock });
    const short = Deadline.after(500, { clock, step: 'turn' });
    const first = registry.refresh(short);
    await settle();
    clock.increment(500);
    await first;
    expect(registry.listingFailure('hanging')).toBeUndefined();
    expect(hanging.breaker.state).toBe('closed');

    const next = Deadline.after(120_000, { clock, step: 'turn' });
    const second = registry.refresh(next);
    await settle();
    expect(hanging.listings).toBe(2);
    clock.increment(2_000);
    await second;
    expect(registry.listingFailure('hanging')).toMatchObject({ kind: 'timeout' });
    next.dispose();
  });
});
