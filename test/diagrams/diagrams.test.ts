import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { setup } from 'xstate';
import { circuitBreakerMachine, connectionMachine, teamMachine } from '../../machines/index.js';
import { DIAGRAMS_DIR, MACHINES_DIR, renderDiagrams, staleDiagrams } from '../../scripts/diagrams.js';
import { toMermaidStateDiagram } from '../../src/dashboard/stateDiagram.js';

describe('docs/diagrams', () => {
  it('has an up-to-date diagram for every machine in machines/ (run `npm run docs:diagrams` after changing one)', async () => {
    const files = await renderDiagrams();
    const machines = readdirSync(MACHINES_DIR).filter((f) => f.endsWith('.machine.ts'));
    for (const source of machines) {
      expect(files.some((f) => f.file.startsWith(source.replace('.machine.ts', '')))).toBe(true);
    }
    expect(staleDiagrams(files), 'out of date: run npm run docs:diagrams').toEqual([]);
    const committed = readdirSync(DIAGRAMS_DIR).filter((f) => f.endsWith('.mmd'));
    const orphans = committed.filter((f) => !files.some((g) => g.file === f));
    expect(
      orphans,
      'diagrams of machines that no longer exist: run npm run docs:diagrams and delete them',
    ).toEqual([]);
  });
});

describe('toMermaidStateDiagram', () => {
  it('draws every state and every targeted transition of a machine, walked from its state nodes', () => {
    const text = toMermaidStateDiagram(connectionMachine);
    expect(text.startsWith('stateDiagram-v2\n')).toBe(true);
    for (const state of Object.keys(connectionMachine.root.states))
      expect(text).toMatch(new RegExp(`\\b${state}\\b`));
    expect(text).toContain('    [*] --> idle');
    expect(text).toContain('    closed --> [*]');
    expect(text).toContain('idle --> connecting_negotiatingEra : CONNECT');
    expect(text).toContain('connecting --> connected_health_ready : CONNECTED [breakerClosed]');
    expect(text).toContain('after connectTimeout [restartBudgetLeft]');
    expect(text).toContain('lost --> reconnecting : always [restartBudgetLeft]');
    // Mermaid takes no description on a group: a drawn parent names its invoke in its label, a leaf
    // keeps `leaf : invoke x` (drawn collapsed).
    expect(text).toContain('state "refreshing (invoke refreshTools)" as connected_tools_refreshing');
    expect(text).not.toMatch(/^\s*connected_tools_refreshing : /m);
    expect(toMermaidStateDiagram(connectionMachine, { depth: 3 })).toContain(
      'connected_tools_refreshing : invoke refreshTools',
    );
    // Nested states get path ids (`authorizing` exists at the top and inside connecting) and their key as label.
    expect(text).toContain('state "authorizing" as connecting_authorizing');
    expect(text).toContain('state "idle" as connected_keepalive_idle');
    expect(text).toContain('connected_keepalive_pinging --> lost : error ping [tooManyMissedPings]');
    // Parallel regions are drawn side by side; the raised events between them label their arrows.
    expect(text).toMatch(
      /state connected \{\n[\s\S]*state connected_health \{[\s\S]*\n {8}--\n[\s\S]*state connected_keepalive \{/,
    );
    expect(text).toContain(
      'connected_health_ready --> connected_health_degraded : BREAKER_OPENED / PING_MISSED',
    );
    // Root-level transitions apply in every state.
    expect(text).toContain('note right of closing : CLOSE from any state');
  });

  it('draws parallel regions, combined guards and re-entering self-transitions', () => {
    const team = toMermaidStateDiagram(teamMachine);
    expect(team).toMatch(
      /state active \{\n[\s\S]*state active_availability \{[\s\S]*\n {8}--\n[\s\S]*state active_activity \{/,
    );
    const breaker = toMermaidStateDiagram(circuitBreakerMachine);
    expect(breaker).toContain(
      'halfOpen --> closed : SUCCESS [and(isProbeOutcome, closesAfterThisSuccess)] / RESET',
    );
    expect(breaker).toContain('open --> open : RESUME');
    expect(breaker).toContain(
      'open --> halfOpen : PROBE [resetTimeElapsed] / RESUME [resetTimeElapsed] / after resetDelay',
    );
  });

  it('collapses nested states at a depth and leaves labels out on request', () => {
    const compact = toMermaidStateDiagram(connectionMachine, { depth: 1, labels: false, invokes: false });
    expect(compact).not.toMatch(/connected_|:/);
    expect(compact).toContain('connected --> lost');
    expect(compact).toContain('connecting --> connected');
    // keepalive's idle -> pinging happens inside `connected`: no arrow once collapsed.
    expect(compact).not.toContain('connected --> connected');
  });

  it('expands chosen paths below the depth: the cards draw ready and degraded inside connected', () => {
    const card = toMermaidStateDiagram(connectionMachine, {
      depth: 1,
      labels: false,
      expand: ['connected.health'],
    });
    expect(card).toContain('state "ready" as connected_health_ready');
    expect(card).toContain('connected_health_ready --> connected_health_degraded');
    expect(card).toContain('connecting --> connected_health_ready');
    // keepalive stays collapsed: its states are not drawn, its arrow to lost starts at the region.
    expect(card).not.toContain('connected_keepalive_idle');
    expect(card).toContain('connected_keepalive --> lost');
    expect(card).not.toContain('connecting_');
  });

  it('writes numeric delays, inline guards and unnamed invokes readably', () => {
    const machine = setup({}).createMachine({
      id: 'demo',
      initial: 'a',
      states: {
        a: { after: { 500: 'b' } },
        b: { always: { guard: () => true, target: 'c' } },
        c: { type: 'final' },
      },
    });
    const text = toMermaidStateDiagram(machine, { comment: 'demo; with "quotes"' });
    expect(text).toContain('a --> b : after 500 ms');
    expect(text).toContain('b --> c : always [guard]');
    expect(text).toContain('%% demo  with  quotes');
  });

  it("writes a state's named entry and exit actions, not XState's own or inline ones", () => {
    const text = toMermaidStateDiagram(connectionMachine);
    // A drawn parent says it in its label, a leaf as descriptions.
    expect(text).toContain('state "connecting (entry startConnect, exit cancelConnect)" as connecting');
    expect(text).toContain('    reconnecting : entry planReconnect');
    // `after` adds a raise on entry and a cancel on exit: drawn as its transition, not as actions.
    expect(text).not.toMatch(/xstate\./);
    const machine = setup({ actions: { greet: () => {} } }).createMachine({
      initial: 'a',
      states: { a: { entry: ['greet', () => {}], exit: 'greet', after: { 10: 'b' } }, b: {} },
    });
    const demo = toMermaidStateDiagram(machine);
    expect(demo).toContain('    a : entry greet\n    a : exit greet\n');
    expect(demo).not.toMatch(/a : entry (?!greet)/);
    expect(toMermaidStateDiagram(machine, { invokes: false })).not.toContain('entry');
  });
});
