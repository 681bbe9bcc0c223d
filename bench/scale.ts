// Section 5: 1,000 server actors over in-memory transports in one process.
import type { Client } from '@modelcontextprotocol/client';
import { createActor } from 'xstate';
import { connectionMachineOf, connectionStateName } from '../machines/connection.machine.js';
import { sharedConnectionParent, startHosted, stopSharedChild } from '../src/actors/connectionHost.js';
import { ServerConnection } from '../src/actors/ServerConnection.js';
import { EventBus, ofType } from '../src/events/EventBus.js';
import type { RuntimeEvent } from '../src/events/RuntimeEvent.js';
import { createLogger } from '../src/observe/logger.js';
import { systemClock } from '../src/resilience/Clock.js';
import type { BenchConfig } from './lib/config.js';
import { CALL, check, inMemoryConfig, inMemoryFactory, rawClient } from './lib/inMemory.js';
import { type Spread, summarize } from './lib/stats.js';

export const BUS_SUBSCRIBERS = 10;

export interface ScaleResult {
  servers: number;
  heap: {
    /** Retained heap per raw SDK Client + its in-memory McpServer, bytes. */
    perRawPair: number;
    /** Retained heap per ServerConnection (connection + breaker actors) + its in-memory McpServer, bytes. */
    perServerConnection: number;
    /** perServerConnection - perRawPair: what our actor layer keeps over a bare Client. */
    addedPerActor: number;
  };
  /**
   * Wall time to connect all servers in parallel, ms: interleaved rounds, each connecting a fresh
   * population of every variant (order rotated), closing it and collecting garbage before the next.
   * `raw` is the SDK Client's default handshake (2025 `initialize`); `rawProbing` adds the era probe
   * (`server/discover` first, `versionNegotiation: { mode: 'auto' }`), the handshake `ours` does by
   * default; `oursPinned` is ours with `protocolVersion: 'legacy'` (no probe), `raw`'s handshake.
   * `machineAlone` is the connection statechart by itself (created, started, CONNECT, CONNECTED, no
   * I/O): the part of `ours` that is XState's. Older results.json files have only raw / ours.
   */
  connectAllMs: {
    rounds: number;
    raw: Spread;
    ours: Spread;
    rawProbing?: Spread;
    oursPinned?: Spread;
    machineAlone?: Spread;
    /** Per-round paired ratios: ours/raw, ours/rawProbing, oursPinned/raw, machineAlone/rawProbing. */
    oursToRaw: Spread;
    oursToRawProbing?: Spread;
    pinnedToRaw?: Spread;
    machineToRawProbing?: Spread;
  };
  /** One call per server at once, repeated (variants interleaved by round): calls per second. */
  callsPerSec: {
    raw: Spread;
    ours: Spread;
    oursWith10Subscribers: Spread;
    /** Per-round ratios to the raw population's rate. */
    oursToRaw: Spread;
    subscribedToRaw: Spread;
  };
  /** Events delivered to the 10 subscribers of the shared bus during the calls above. */
  busDuringCalls: { eventsPerCall: number; eventsPerSec: Spread; deliveriesPerSec: Spread };
  /** EventBus alone: `emit` of a prebuilt event with 10 subscribers. */
  bus: { events: number; emitsPerSec: Spread; deliveriesPerSec: Spread; ofTypeEmitsPerSec: Spread };
}

function heapAfterGc(): number {
  const gc = globalThis.gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function busThroughput(config: BenchConfig): ScaleResult['bus'] {
  const event: RuntimeEvent = {
    type: 'call.succeeded',
    at: Date.now(),
    source: 'server:bench',
    server: 'bench',
    tool: 'double',
    callId: 1,
    attempt: 1,
    durationMs: 0.1,
    isError: false,
  };
  const measure = (filtered: boolean): number[] => {
    const bus = new EventBus();
    let seen = 0;
    const subs = Array.from({ length: BUS_SUBSCRIBERS }, () =>
      filtered
        ? bus.events$.pipe(ofType('call.succeeded')).subscribe(() => seen++)
        : bus.events$.subscribe(() => seen++),
    );
    const rates: number[] = [];
    const chunk = Math.max(1, Math.floor(config.busEvents / 10));
    for (let i = 0; i < chunk; i++) bus.emit(event); // warm
    for (let r = 0; r < 10; r++) {
      const t0 = performance.now();
      for (let i = 0; i < chunk; i++) bus.emit(event);
      rates.push(chunk / ((performance.now() - t0) / 1000));
    }
    for (const s of subs) s.unsubscribe();
    if (seen !== chunk * 11 * BUS_SUBSCRIBERS) throw new Error(`bus delivered ${seen} events`);
    return rates;
  };
  const plain = measure(false);
  const typed = measure(true);
  return {
    events: config.busEvents,
    emitsPerSec: summarize(plain),
    deliveriesPerSec: summarize(plain.map((r) => r * BUS_SUBSCRIBERS)),
    ofTypeEmitsPerSec: summarize(typed),
  };
}

/** N ServerConnections over in-memory servers sharing one bus and logger, as a team's servers do. */
function connections(n: number, prefix: string, bus: EventBus, pinned = false): ServerConnection[] {
  const logger = createLogger({ level: 'silent' });
  return Array.from({ length: n }, (_, i) => {
    const config = inMemoryConfig(`${prefix}${i}`);
    return new ServerConnection({
      config: pinned ? { ...config, protocolVersion: 'legacy' } : config,
      transportFactory: inMemoryFactory().factory,
      bus,
      logger,
    });
  });
}

/**
 * The connection statechart alone, as a connection drives it on a first connect, with its I/O
 * replaced by nothing, hosted as a connection's actor is: what XState itself costs per connect.
 */
function machineAloneLogic() {
  return connectionMachineOf().provide({
    actions: { startConnect: () => {}, cancelConnect: () => {}, forgetToolList: () => {} },
  });
}

type ConnectVariant = 'raw' | 'rawProbing' | 'ours' | 'oursPinned' | 'machineAlone';

/**
 * Connect time, in interleaved rounds: each round connects a fresh population of N of every variant
 * in rotating order, closing each and collecting garbage before the next. So all start on the same
 * heap (the heap figure keeps populations alive, and whichever connects later would pay for the
 * others' garbage collection), and the load of other processes, which drifts over seconds, lands on
 * every variant of a round alike: the ratios are paired per round. Constructing the
 * ServerConnections is part of ours, as creating the Client and server is of raw.
 */
async function connectRounds(n: number, rounds: number): Promise<ScaleResult['connectAllMs']> {
  const logic = machineAloneLogic();
  const times: Record<ConnectVariant, number[]> = {
    raw: [],
    rawProbing: [],
    ours: [],
    oursPinned: [],
    machineAlone: [],
  };
  const connectRaw = (probe: boolean) => async () => {
    const clients = await Promise.all(Array.from({ length: n }, () => rawClient(probe)));
    return () => Promise.all(clients.map((c) => c.close()));
  };
  const connectOurs = (pinned: boolean) => async (r: number) => {
    const conns = connections(n, `r${r}${pinned ? 'p' : 's'}`, new EventBus(), pinned);
    await Promise.all(conns.map((c) => c.start()));
    return () => Promise.all(conns.map((c) => c.close()));
  };
  // Hosted as a standalone connection's actor is (connectionHost.ts): a shared system per few dozen.
  const driveMachines = async (r: number) => {
    const actors = Array.from({ length: n }, (_, i) => {
      const parent = sharedConnectionParent(systemClock, false);
      return {
        parent,
        actor: createActor(logic, { clock: systemClock, parent, input: { server: `r${r}m${i}` } }),
      };
    });
    for (const { actor } of actors) {
      startHosted(actor);
      actor.send({ type: 'CONNECT', at: 0 });
      actor.send({ type: 'CONNECTED', output: { at: 0, era: 'legacy', protocolVersion: '2025-11-25' } });
    }
    if (actors.some(({ actor }) => connectionStateName(actor.getSnapshot().value) !== 'ready')) {
      throw new Error('the connection machine alone did not reach ready');
    }
    return async () => {
      for (const { parent, actor } of actors) if (parent) stopSharedChild(parent, actor);
    };
  };
  const variants: [ConnectVariant, (r: number) => Promise<() => Promise<unknown>>][] = [
    ['raw', connectRaw(false)],
    ['rawProbing', connectRaw(true)],
    ['ours', connectOurs(false)],
    ['oursPinned', connectOurs(true)],
    ['machineAlone', driveMachines],
  ];
  // Round -1 warms up (JIT at the scale of N connections) and is not recorded.
  for (let r = -1; r < rounds; r++) {
    for (let i = 0; i < variants.length; i++) {
      const [id, connect] = variants[(i + Math.max(r, 0)) % variants.length]!;
      heapAfterGc();
      const t0 = performance.now();
      const close = await connect(r);
      if (r >= 0) times[id].push(performance.now() - t0);
      await close();
    }
  }
  heapAfterGc();
  const paired = (a: number[], b: number[]) => summarize(a.map((v, i) => v / (b[i] ?? Number.NaN)));
  return {
    rounds,
    raw: summarize(times.raw),
    ours: summarize(times.ours),
    rawProbing: summarize(times.rawProbing),
    oursPinned: summarize(times.oursPinned),
    machineAlone: summarize(times.machineAlone),
    oursToRaw: paired(times.ours, times.raw),
    oursToRawProbing: paired(times.ours, times.rawProbing),
    pinnedToRaw: paired(times.oursPinned, times.raw),
    machineToRawProbing: paired(times.machineAlone, times.rawProbing),
  };
}

export async function run(config: BenchConfig, log: (line: string) => void): Promise<ScaleResult> {
  const n = config.scaleServers;
  const rounds = config.scaleCallRounds;

  // Both populations stay alive together, so their call rounds can be interleaved (the load of other
  // processes drifts over seconds: measuring one population after the other would compare moments).
  // Warm both populations first: what the first Client and the first connection of a process build
  // once (compiled code, the SDK's lazily built schemas, module caches) is not per server, and it
  // would land on whichever population is measured first (the raw one: it made raw look heavier).
  const warmRaw = await rawClient();
  const warm = new ServerConnection({
    config: inMemoryConfig('warm'),
    transportFactory: inMemoryFactory().factory,
    bus: new EventBus(),
    logger: createLogger({ level: 'silent' }),
  });
  await warm.start();
  await Promise.all([warm.close(), warmRaw.close()]);
  const connectAllMs = await connectRounds(n, config.scaleConnectRounds);
  const x = (v: Spread | undefined) => (v ? v.median.toFixed(2) : 'n/a');
  log(
    `  connect ${n}: raw ${Math.round(connectAllMs.raw.median)} ms, ours ${Math.round(connectAllMs.ours.median)} ms (${x(connectAllMs.oursToRaw)}); with the probe both: ours/raw ${x(connectAllMs.oursToRawProbing)}; pinned, neither: ${x(connectAllMs.pinnedToRaw)}; the machine alone ${x(connectAllMs.machineToRawProbing)} of a probing raw connect (${connectAllMs.rounds} rounds)`,
  );

  const base = heapAfterGc();
  const raws = await Promise.all(Array.from({ length: n }, () => rawClient()));
  const afterRaw = heapAfterGc();
  const bus = new EventBus();
  const conns = connections(n, 's', bus);
  await Promise.all(conns.map((c) => c.start()));
  const afterOurs = heapAfterGc();
  const perRawPair = (afterRaw - base) / n;
  const perServerConnection = (afterOurs - afterRaw) / n;

  const rawClients: Client[] = raws.map((r) => r.client);
  const callRaw = async () => {
    const results = await Promise.all(rawClients.map((c) => c.callTool(CALL)));
    for (const r of results) check(r);
  };
  const callOurs = async () => {
    const results = await Promise.all(conns.map((c) => c.callTool(CALL.name, CALL.arguments)));
    for (const r of results) check(r);
  };
  let delivered = 0;
  const callOursSubscribed = async () => {
    const subs = Array.from({ length: BUS_SUBSCRIBERS }, () => bus.events$.subscribe(() => delivered++));
    try {
      await callOurs();
    } finally {
      for (const sub of subs) sub.unsubscribe();
    }
  };
  const variants = [
    { id: 'raw', call: callRaw, rates: [] as number[] },
    { id: 'ours', call: callOurs, rates: [] as number[] },
    { id: 'subscribed', call: callOursSubscribed, rates: [] as number[] },
  ];
  for (const v of variants) await v.call(); // warm: JIT, every server's lazily compiled schemas
  const eventRates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(i + r) % variants.length]!;
      const before = delivered;
      const start = performance.now();
      await v.call();
      const seconds = (performance.now() - start) / 1000;
      v.rates.push(n / seconds);
      if (v.id === 'subscribed') eventRates.push((delivered - before) / BUS_SUBSCRIBERS / seconds);
    }
  }
  const [rawRates, oursRates, subscribedRates] = variants.map((v) => v.rates) as [
    number[],
    number[],
    number[],
  ];
  const eventsPerCall = delivered / BUS_SUBSCRIBERS / ((rounds + 1) * n);
  log(
    `  heap ${(perRawPair / 1024).toFixed(1)} KiB per raw pair, ${(perServerConnection / 1024).toFixed(1)} KiB per connection; calls/s raw ${Math.round(summarize(rawRates).median)}, ours ${Math.round(summarize(oursRates).median)}, with ${BUS_SUBSCRIBERS} subscribers ${Math.round(summarize(subscribedRates).median)}`,
  );
  await Promise.all(conns.map((c) => c.close()));
  await Promise.all(raws.map((r) => r.close()));

  const busAlone = busThroughput(config);
  log(`  bus: ${Math.round(busAlone.emitsPerSec.median)} emits/s with ${BUS_SUBSCRIBERS} subscribers`);
  return {
    servers: n,
    heap: { perRawPair, perServerConnection, addedPerActor: perServerConnection - perRawPair },
    connectAllMs,
    callsPerSec: {
      raw: summarize(rawRates),
      ours: summarize(oursRates),
      oursWith10Subscribers: summarize(subscribedRates),
      oursToRaw: summarize(oursRates.map((v, i) => v / (rawRates[i] ?? Number.NaN))),
      subscribedToRaw: summarize(subscribedRates.map((v, i) => v / (rawRates[i] ?? Number.NaN))),
    },
    busDuringCalls: {
      eventsPerCall,
      eventsPerSec: summarize(eventRates),
      deliveriesPerSec: summarize(eventRates.map((r) => r * BUS_SUBSCRIBERS)),
    },
    bus: busAlone,
  };
}
