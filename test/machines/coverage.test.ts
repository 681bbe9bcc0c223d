import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type AnyMachineSnapshot,
  type AnyStateMachine,
  createActor,
  type EventObject,
  fromPromise,
  initialTransition,
  SimulatedClock,
  setup,
  transition,
} from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import type { Failure, FailureReason } from '../../machines/connection.machine.js';
import { machineExports } from '../../scripts/diagrams.js';
import type { CoverageFile } from '../chaos/results.js';
import { allTransitions, type Coverage, coverageReport, recordCoverage } from '../support/machineCoverage.js';

/**
 * Suite-wide model coverage: every state and transition of every machine in machines/*.machine.ts is
 * reached by generated paths. For each machine: `getShortestPaths` (xstate/graph) reaches every
 * state key; each path is then extended by every event its end state handles (so self-loops and
 * guarded alternatives are tried too), and every path is replayed on a live actor whose
 * coverage is recorded from inspection events (test/support/machineCoverage.ts). The event
 * alphabet is derived from the transitions the machine declares; a machine only brings payloads
 * and inputs (see SPECS). A machine added later is picked up from the folder: if the defaults do
 * not cover it, this test fails and names what is missing.
 */

type Payload = Record<string, unknown> | (() => Record<string, unknown>);

/** What the machine needs beyond its own declarations. Everything is optional. */
interface MachineSpec {
  /** Inputs to explore from (a machine whose guards read options may need several). Default `[{}]`. */
  inputs?: unknown[];
  /**
   * Payload variants (without `type`) per event type. Default: one empty payload. A function makes a
   * fresh payload each time the event is offered (e.g. a new child id for every spawn).
   */
  payloads?: Record<string, Payload[]>;
  /** Outputs sent with `xstate.done.actor.*` events. Default `[undefined]`. */
  outputs?: unknown[];
  /** Errors sent with `xstate.error.actor.*` events. Default one Error. */
  errors?: unknown[];
  /** The graph's state key. Default: value, status and the context with numbers clamped to 0..3. */
  key?: (snapshot: AnyMachineSnapshot) => string;
}

const T = 1_000_000;
const reason = (kind: string, code: string, retryable: boolean): FailureReason => ({
  kind,
  code,
  message: code,
  retryable,
});
const failure = (r: FailureReason): Failure => ({ reason: r, at: T });
const connectionFailures = [
  failure(reason('auth', 'HTTP_401', false)),
  failure(reason('auth', 'AUTH_REQUIRED', false)),
  failure(reason('protocol', 'ERA_NEGOTIATION_FAILED', false)),
  failure(reason('connection', 'ENOENT', false)),
  failure(reason('connection', 'ECONNREFUSED', true)),
];
const never = fromPromise(() => new Promise<never>(() => {}));
let spawned = 0;

const SPECS: Record<string, MachineSpec> = {
  connection: {
    // Two configurations: `ready` always has missedPings 0, so a ping error goes to `degraded` when
    // maxMissedPings >= 2 and straight to `lost` only when it is 1. The window outlasts any path, so
    // the restart guard depends only on restarts.length, which the key holds.
    // A third with keepalive off: the `off` state (no timer) and its PROBE.
    inputs: [
      [1, 1_000],
      [2, 1_000],
      [1, 0],
    ].map(([n, pingIntervalMs]) => ({
      server: 'graph',
      connectTimeoutMs: 1_000,
      restartWindowMs: 365 * 24 * 3_600_000,
      failedCooldownMs: 5_000,
      pingIntervalMs,
      backoffBaseMs: 100,
      backoffMaxMs: 400,
      maxRestarts: n,
      maxMissedPings: n,
    })),
    payloads: {
      CONNECT: [{ at: T }],
      RECONNECT: [{ at: T }],
      CALL: [{ at: T }],
      TRANSPORT_CLOSED: [{ at: T, reason: reason('connection', 'TRANSPORT_CLOSED', true) }],
      SESSION_EXPIRED: [{ at: T, reason: reason('connection', 'SESSION_EXPIRED', true) }],
      AUTH_FAILED: [{ at: T, reason: reason('auth', 'HTTP_401', false) }],
      LOGIN_REQUIRED: [{ at: T, reason: reason('auth', 'AUTH_REQUIRED', false) }],
      AUTHORIZED: [{ at: T }],
      LOGIN_FAILED: [{ at: T, reason: reason('auth', 'OAUTH_ACCESS_DENIED', false) }],
      // The first connect of a path negotiates the era; a later one resumes the remembered era.
      CONNECTED: [{ output: { at: T } }, { output: { at: T, era: 'modern', protocolVersion: '2026-07-28' } }],
      CONNECT_FAILED: connectionFailures.map((error) => ({ error })),
    },
    // Of the invoked actors (ping, refreshTools, disconnect).
    outputs: [{ at: T }, { at: T, era: 'modern', protocolVersion: '2026-07-28' }],
    errors: connectionFailures,
    key: (s) =>
      JSON.stringify([
        s.value,
        s.status,
        s.context.restarts.length,
        s.context.missedPings,
        s.context.breakerOpen,
        s.context.era,
      ]),
  },
  credential: {
    inputs: [{ credential: 'graph', retryDelayMs: 1_000 }],
    // Tokens with and without a planned refresh; one far enough to need a re-plan of the timer.
    payloads: {
      TOKENS: [
        { at: T, refreshAt: T + 1_000 },
        { at: T, refreshAt: undefined },
        { at: T, refreshAt: T + 2 ** 32 },
      ],
      UNAUTHORIZED: [{ at: T }],
      CLEARED: [{ at: T }],
    },
    outputs: [{ at: T, refreshAt: T + 1_000 }],
    errors: [
      { reason: reason('auth', 'AUTH_REQUIRED', false), at: T },
      { reason: reason('connection', 'ECONNREFUSED', true), at: T },
    ],
    key: (s) =>
      JSON.stringify([s.value, s.status, s.context.refreshAt === undefined, s.context.lastError?.code]),
  },
  circuitBreaker: {
    inputs: [
      {
        strategy: { kind: 'consecutive', threshold: 2 },
        successThreshold: 2,
        resetTimeoutMs: 1000,
        halfOpenMaxProbes: 2,
      },
    ],
    // Three instants keep the context space finite; timestamps matter to the guards, so the key is
    // the whole snapshot (no clamping).
    payloads: Object.fromEntries(
      ['PROBE', 'RESUME', 'SUCCESS', 'FAILURE'].map((type) => [
        type,
        [0, 1000, 2000].flatMap((at) =>
          type === 'SUCCESS' || type === 'FAILURE' ? [{ at }, { at, probe: false }] : [{ at }],
        ),
      ]),
    ),
    key: (s) => JSON.stringify([s.value, s.status, s.context]),
  },
  team: {
    inputs: [
      {
        team: 'graph',
        servers: { a: { available: true, optional: false }, b: { available: true, optional: true } },
      },
    ],
    payloads: {
      SERVER_STATUS: [
        { server: 'a', available: false },
        { server: 'a', available: true },
      ],
      // Graph exploration shares one actor system across branches: each spawn needs its own id.
      SPAWN: (['server', 'breaker'] as const).map((src) => () => ({
        src,
        id: `${src}:member-${++spawned}`,
        input: undefined,
      })),
    },
    outputs: [
      { a: { available: true, optional: false }, b: { available: true, optional: true } },
      { a: { available: true, optional: false }, b: { available: false, optional: true } },
    ],
  },
  pool: {
    // Two slots, one prewarmed: every slot status, and waiters beyond what building slots serve.
    inputs: [{ pool: 'graph', size: 2, prewarm: 1 }],
    payloads: {
      ACQUIRE: ['r1', 'r2', 'r3'].map((requestId) => ({ requestId })),
      CANCEL: ['r1', 'r2'].map((requestId) => ({ requestId })),
      RELEASE: [0, 1].flatMap((slot) => [true, false].map((healthy) => ({ slot, healthy }))),
      BROKEN: [0, 1].map((slot) => ({ slot, requestId: 'r1' })),
      BUILT: [0, 1].map((slot) => ({ slot })),
      BUILD_FAILED: [0, 1].map((slot) => ({
        slot,
        error: { kind: 'connection', code: 'ECONNREFUSED', message: 'refused', retryable: true },
      })),
    },
  },
  health: {
    // The periodic guard reads intervalMs > 0.
    inputs: [{ intervalMs: 1_000 }, { intervalMs: 0 }],
    outputs: (['pass', 'warn', 'fail'] as const).map((status) => ({ checks: { a: { status } } })),
  },
};

function clamp(value: unknown, depth = 0): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.max(-1, Math.min(3, value)) : 'NaN';
  if (typeof value === 'function') return 'fn';
  if (Array.isArray(value))
    return value.length > 3 ? `[${value.length}]` : value.map((v) => clamp(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    if (depth > 4) return '{...}';
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, clamp(v, depth + 1)]),
    );
  }
  return value;
}

const defaultKey = (s: AnyMachineSnapshot): string => JSON.stringify([s.value, s.status, clamp(s.context)]);

type Offer = EventObject | (() => EventObject);

/** Every event the machine declares, each with the payload variants the spec (or a default) gives. */
function alphabetOf(machine: AnyStateMachine, spec: MachineSpec): Offer[] {
  const types = [...new Set(allTransitions(machine).map((t) => t.event))].filter((t) => t !== 'always');
  return types.flatMap((type) => {
    if (type.startsWith('xstate.done.actor.'))
      return (spec.outputs ?? [undefined]).map((output) => ({ type, output }));
    if (type.startsWith('xstate.error.actor.'))
      return (spec.errors ?? [new Error('failure')]).map((error) => ({ type, error }));
    return (spec.payloads?.[type] ?? [{}]).map(
      (payload): Offer =>
        typeof payload === 'function' ? () => ({ ...payload(), type }) : { ...payload, type },
    );
  });
}

/** Only events some active node declares: an unhandled actor error would stop the actor. */
function eventsFor(alphabet: Offer[]) {
  return (s: AnyMachineSnapshot): EventObject[] => {
    if (s.status !== 'active') return [];
    const handled = new Set(s._nodes.flatMap((node) => [...node.transitions.keys()]));
    return alphabet
      .map((offer) => (typeof offer === 'function' ? offer() : offer))
      .filter((e) => handled.has(e.type));
  };
}

interface Explored {
  paths: number;
  mismatches: string[];
  errors: unknown[];
}

/** Generates the paths of one input, replays them on live actors, and records coverage. */
function explore(machine: AnyStateMachine, spec: MachineSpec, input: unknown, coverage: Coverage): Explored {
  const key = spec.key ?? defaultKey;
  const events = eventsFor(alphabetOf(machine, spec));
  const statePaths = getShortestPaths(machine, { input, events, serializeState: key, limit: 200_000 });
  // With an abstract key (clamped counters) the snapshot a path ends on is one representative of
  // its key, not necessarily the one these events produce: the pure machine is re-run along each
  // path, and the extension events are offered to the snapshot it really ends in.
  const tests = statePaths.flatMap((path) => {
    const base = path.steps.slice(1).map((step) => step.event); // steps[0] is xstate.init
    let end = initialTransition(machine, input)[0];
    const expected = base.map((event) => {
      end = transition(machine, end, event)[0];
      return key(end);
    });
    const next = events(end);
    if (next.length === 0) return [{ events: base, expected }];
    return next.map((event) => ({
      events: [...base, event],
      expected: [...expected, key(transition(machine, end, event)[0])],
    }));
  });
  // Invoked actors never settle on their own: their done/error events are part of the alphabet.
  const inert = machine.provide({
    actors: Object.fromEntries(Object.keys(machine.implementations.actors).map((name) => [name, never])),
  });
  const mismatches: string[] = [];
  const errors: unknown[] = [];
  for (const test of tests) {
    const actor = createActor(inert, { input, clock: new SimulatedClock(), inspect: coverage.inspect });
    actor.subscribe({ error: (e) => errors.push(e) });
    actor.start();
    test.events.forEach((event, i) => {
      actor.send(event);
      const actual = key(actor.getSnapshot());
      if (actual !== test.expected[i] && mismatches.length < 5) {
        const trail = test.events.slice(0, i + 1).map((e) => e.type);
        mismatches.push(`${trail.join(' > ')}: expected ${test.expected[i]}, got ${actual}`);
      }
    });
    actor.stop();
  }
  return { paths: tests.length, mismatches, errors };
}

const machinesDir = fileURLToPath(new URL('../../machines/', import.meta.url));
const files = readdirSync(machinesDir)
  .filter((f) => f.endsWith('.machine.ts'))
  .sort();

async function machinesIn(file: string): Promise<AnyStateMachine[]> {
  const module = (await import(`../../machines/${file.replace(/\.ts$/, '.js')}`)) as Record<string, unknown>;
  return machineExports(module).map(([, machine]) => machine);
}

const results: CoverageFile['machines'] = [];

describe('model coverage of every machine in machines/', () => {
  it('finds the machine files, each exporting at least one machine', async () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const file of files) expect(await machinesIn(file), file).not.toHaveLength(0);
  });

  for (const file of files) {
    it(`${file}: generated paths reach every state and take every transition`, async () => {
      for (const machine of await machinesIn(file)) {
        const spec = SPECS[machine.id] ?? {};
        const coverage = recordCoverage(machine);
        let paths = 0;
        for (const input of spec.inputs ?? [{}]) {
          const explored = explore(machine, spec, input, coverage);
          paths += explored.paths;
          expect(explored.errors, `${machine.id}: actor errors`).toEqual([]);
          expect(explored.mismatches, `${machine.id}: replay differs from the graph`).toEqual([]);
        }
        const report = coverageReport(machine, coverage);
        results.push({
          id: machine.id,
          file: `machines/${file}`,
          states: { covered: report.states.covered, total: report.states.total },
          transitions: { covered: report.transitions.covered, total: report.transitions.total },
          paths,
          missing: [...report.states.missing, ...report.transitions.missing],
        });
        console.log(
          `${machine.id}: states ${report.states.covered}/${report.states.total}, transitions ${report.transitions.covered}/${report.transitions.total}, ${paths} paths`,
        );
        const hint = SPECS[machine.id] ? '' : ` (no spec for '${machine.id}' in ${import.meta.url}: add one)`;
        expect(report.unknownTransitions, `${machine.id}: undeclared transitions taken`).toEqual([]);
        expect(report.states.missing, `${machine.id}: states not reached${hint}`).toEqual([]);
        expect(report.transitions.missing, `${machine.id}: transitions not taken${hint}`).toEqual([]);
      }
      // The connection machine's state space (restarts x pings x breaker x era x auth) takes a few
      // seconds on an idle machine and several times that on a loaded one.
    }, 90_000);
  }

  it('fails for a machine whose transition the generated paths cannot take (the check has teeth)', () => {
    const unreachable = setup({
      guards: { lucky: ({ event }) => (event as { n?: number }).n === 7 },
    }).createMachine({
      id: 'probe',
      initial: 'a',
      states: { a: { on: { GO: [{ guard: 'lucky', target: 'b' }, { target: 'c' }] } }, b: {}, c: {} },
    });
    const coverage = recordCoverage(unreachable);
    explore(unreachable, {}, {}, coverage);
    const report = coverageReport(unreachable, coverage);
    expect(report.states.missing).toEqual(['probe.b']);
    expect(report.transitions.missing).toEqual(['probe.a --GO#0[lucky]--> probe.b']);
  });

  it('writes test-results/coverage.json', () => {
    const out = fileURLToPath(new URL('../../test-results/', import.meta.url));
    mkdirSync(out, { recursive: true });
    const file: CoverageFile = { generatedAt: new Date().toISOString(), machines: results };
    writeFileSync(`${out}coverage.json`, `${JSON.stringify(file, null, 2)}\n`);
    expect(results.length).toBeGreaterThanOrEqual(files.length);
  });
});
