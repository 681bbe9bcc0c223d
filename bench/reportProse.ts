// The text of docs/performance.md around the tables: method, how to read each table, causes and
// plans. A sentence about what azcore's code does either is generated from this run's figures (the
// functions below) or names the test that checks it, as `(test/<file>.test.ts: "<test name>")`;
// test/bench/reportProse.test.ts fails when a named test no longer exists.

import type { ColdImportResult } from './coldImport.js';
import { benchConfig } from './lib/config.js';
import type { OverheadResult } from './overhead.js';
import type { RecoveryResult } from './recovery.js';
import type { ScaleResult } from './scale.js';
import type { StartupResult } from './startup.js';
import type { TeamTurnResult } from './teamTurn.js';

const FAST_PATH = 'test/actors/fastPath.test.ts';
const FULL = benchConfig({});
const QUICK = benchConfig({ BENCH_QUICK: '1' });
const OPTIONAL = 'test/team/optionalServers.test.ts';
const HTTP = 'test/actors/ServerConnection.http.test.ts';
const SHARING = 'test/actors/McpSession.sharing.test.ts';
const LATER_OPTIONS = 'test/actors/laterOptions.test.ts';
/** The connect goal of issue 13, × raw. */
const CONNECT_GOAL = 1.3;

/** `(file: "name")`: the test that checks the sentence it ends. */
const checkedBy = (file: string, ...names: string[]): string =>
  `(${names.map((n) => `${file}: "${n}"`).join('; ')})`;

const x = (v: number | undefined): string =>
  v === undefined || !Number.isFinite(v) ? '?' : `${v.toFixed(2)}×`;
const msOf = (v: number | undefined): string =>
  v === undefined || !Number.isFinite(v) ? '?' : `${Math.round(v)} ms`;

export const methodText = `**How the figures are made.**

- \`bench/run.ts\` first compiles src/, machines/, bench/ and the test fixtures to plain ESM with the project's TypeScript compiler (the emit \`tsc\` produces for the published package) into a temporary directory, and the sections run there with plain \`node\`. Not under tsx: tsx transpiles with esbuild's \`keepNames\`, which wraps every function and closure in a \`__name()\` call that redefines its \`name\` each time the closure is created; that cost is not in the code users run and would fall on closure-heavy TypeScript (ours, and the bench's own per-call arrow for cockatiel) but not on the peers, loaded as plain JavaScript.
- Every section runs in its own Node process (\`node <build>/bench/section.js <section>\`), so no heap, JIT state or leftover child process carries from one section to the next.
- **Micro-benchmarks (sections 1 and 2)** use tinybench. Every variant gets its own in-memory \`McpServer\` and \`InMemoryTransport\` linked pair, so none shares state. A *round* runs every variant for the configured task time after a short warm-up; the order rotates each round. ns/op of a round is the **median sample latency** of that round divided by the operations per sample (1 for calls; sub-microsecond checks are batched 100 per sample, async rejections 10, so the timer's own cost does not dominate). The median and not the mean, because on a shared machine a few samples of every round include the process being descheduled for milliseconds, which swamps a mean of microsecond calls; the mean (tinybench \`period\`, which also carries GC pauses) is given next to it, and the GC side of the cost is measured directly as bytes/op. Tables give the **median over rounds** and its **p25–p75**, and the median absolute deviation inside a round.
- **All ratios are paired**: each round gives ours/raw, ours/cockatiel, (ours−raw)/(cockatiel−raw)…, and the table shows the median of those per-round ratios, not a ratio of medians. Variants of a round run tens of milliseconds apart, so the load of other processes (this machine is shared: see the load averages above) cancels out of the ratios much better than out of the absolute ns, which it inflates.
- **Allocated bytes per operation** are measured in a separate process started with \`--expose-gc --min-semi-space-size=64 --max-semi-space-size=64\`: full GC, read \`process.memoryUsage().heapUsed\`, run N awaited operations, read it again, divide by N. With a 64 MiB young generation no scavenge runs inside a sample; a \`PerformanceObserver\` watches \`gc\` entries and a sample during which any GC ran is thrown away and retried with N halved. Samples of the variants are interleaved (a round runs every variant once); the allocation verdict compares variants by their per-round differences, since a variant's own median moves by a kilobyte or more between runs of the same commit. The figure counts everything the call leaves on the JS heap, including what the in-memory server allocates to answer, which is the same for every variant: read the *added* column.
- **Detection and recovery** (section 3) is wall-clock time (\`performance.now()\`) around real processes: the stdio fixture server (\`test/fixtures/stdio-server.mjs\`, killed with SIGKILL) and the Streamable HTTP fixture (\`test/fixtures/http-server.mjs\`, killed and restarted on the same port).
- **Team startup** (section 4) runs the cases round by round (order rotated) and times \`MCPTeamBuilder.build()\` and LangChain's \`MultiServerMCPClient.initializeConnections()\` (what \`getTools()\` runs first: connect and list tools) over the same fixture servers, from the call to its resolution; closing is timed apart.
- **Team turn** (section 7) runs whole agent turns against the fixture servers in their own processes (\`test/fixtures/http-server.mjs\` over Streamable HTTP and SSE, \`stdio-server.mjs\`), with the same scripted model on both sides: ours is \`MCPTeam.invoke\`; raw is a hand-written loop that lists the tools once with a raw SDK \`Client\`, wraps each as a LangChain \`DynamicStructuredTool\` over \`client.callTool\`, and runs model → every tool call of the step at once (as LangGraph's \`ToolNode\`) → model until it answers. Inside a round the variants take turns one turn at a time, their order rotating each turn (so a change of load falls on every variant alike), after warm-up turns of each; a round's figure is the median of its turns, ratios are paired per round.
- **Scale** (section 5) keeps ${FULL.scaleServers.toLocaleString('en-US')} connections (${QUICK.scaleServers} in a quick run) alive in one process: retained heap is the \`heapUsed\` delta after two full GCs divided by the number of servers, with every connection open and idle. Connect time is measured apart, in interleaved rounds: each round connects a fresh population of each variant (raw Clients with the SDK's default handshake, raw Clients probing the era, ServerConnections constructed inside the timing, ServerConnections pinned to 2025, and the connection statechart alone with no I/O) in rotating order, and closes it and collects garbage before the next, so none connects on a heap another filled; each figure is the median of the per-round paired ratios, after one unrecorded warm-up round.
- \`BENCH_QUICK=1\` cuts every sample count (and the scale test to ${QUICK.scaleServers} servers) for a short smoke run; \`BENCH_ROUNDS\`, \`BENCH_TASK_MS\`, \`BENCH_ALLOC_OPS\`, \`BENCH_RECOVERY_RUNS\`, \`BENCH_STARTUP_RUNS\`, \`BENCH_SCALE_SERVERS\`… override single counts (bench/lib/config.ts); \`BENCH_ONLY=overhead,scale\` re-runs some sections and keeps the rest of results.json; \`BENCH_OUT=<dir>\` writes both files to a directory of one's own instead (a trial run).`;

export const overheadNotes = `**What each variant does per call** (tool \`double\` with a zod-validated argument, answered by an SDK \`McpServer\` in the same process):

- **raw**: \`client.callTool({ name: 'double', arguments: { n: 21 } })\`: the floor every wrapper sits on.
- **rawSignal**: the raw call plus a fresh \`AbortController\` whose signal goes to the SDK and a \`setTimeout\`/\`clearTimeout\` per call: what a call costs that hands the SDK a signal. It is a reference, not a product to compare: our Deadline makes no signal and arms no timer until something asks for its signal ${checkedBy(FAST_PATH, 'arms no timer and makes no signal until someone asks for the signal')}, such as a caller's signal or an injected clock ${checkedBy(FAST_PATH, 'an injected clock keeps the Deadline path: the same TimeoutError when the simulated budget runs out')}.
- **ours**: \`ServerConnection.callTool\` with its defaults (Deadline, retry, circuit breaker) and one \`events$\` subscriber. With no caller signal and the wall clock the SDK's own request timeout, set to the budget, is the deadline, and a budget that runs out gives the same TimeoutError, breaker verdict and \`notifications/cancelled\` as the signal path ${checkedBy(FAST_PATH, 'a budget that runs out: the SDK timer (no caller signal) and the Deadline signal give the same TimeoutError and breaker verdict')}.
- **oursQuiet**: the same with no subscriber: the call path hands the bus no event ${checkedBy(FAST_PATH, 'with nobody observing the bus, the call path hands it no event')}.
- **cockatiel** and **opossum**: the raw call inside each library's policy, configured as the row labels say (bench/lib/subjects.ts). Opossum has no retry and passes no AbortSignal (a timed-out call keeps running), so it does less per call than the other two wrappers.

The in-memory round trip itself is heavy (the **raw** row), so every wrapper's added cost is a small fraction of it; the *added ns* and *added bytes* columns are the figures to compare.`;

export const failFastPlan = `Every library allocates a fresh Error for each rejection; capturing its stack is what the **newError** reference row costs (one \`new Error()\` at a shallow stack). Ours makes its \`CircuitOpenError\` without a stack capture, otherwise the same error ${checkedBy(FAST_PATH, 'CircuitOpenError without a stack capture is otherwise the same error, and the limit is restored')}. \`callTool\` asks a breaker that is not closed before it builds anything else and ends with the same error and events as the long way ${checkedBy(FAST_PATH, 'a rejection asked before anything else is the same CircuitOpenError with the same event as the long way')}, unless something could stop the call earlier ${checkedBy(FAST_PATH, 'checks before the breaker keep their order: a cancelled caller or a spent deadline wins over an open breaker')}.`;

/** How to read section 3, with this run's outcomes. */
export function recoveryNotes(r: RecoveryResult): string {
  const s = r.settings;
  const stdio = r.stdio.runs[0];
  const path = r.http.runs[0]?.path.join(' → ') ?? '?';
  return `**stdio.** In this run the call in flight when the server was killed ended with ${stdio?.inFlightError ?? '?'}; a call made while reconnecting with a ${s.waitingCallTimeoutMs / 1000} s budget waited and succeeded once the new server was up, and one with a ${s.shortCallTimeoutMs} ms budget ended with ${stdio?.shortCallError ?? '?'}. Getting back to \`ready\` costs the reconnect backoff (${s.backoffBaseMs}–${s.backoffMaxMs} ms) plus spawning and initializing a new Node server.

**Streamable HTTP.** A killed HTTP server drops the client's event stream; the runtime pings it at once instead of waiting for the keepalive period ${checkedBy(HTTP, 'a killed HTTP server is seen when its event stream drops, not at the next keepalive period')}, and a missed ping is checked again one backoff step later (${s.maxMissedPings} missed pings declare it lost). A server that offers no event stream is found by the keepalive ping (every ${s.pingIntervalMs} ms here) ${checkedBy(HTTP, 'a dead HTTP server without an event stream is found by keepalive pings')}. The states the connection went through in the first run: ${path}.`;
}

/** How to read section 4, with this run's figures. */
export function startupNotes(s: StartupResult): string {
  const healthy = s.cases.oursHealthy?.wallMs.median;
  const hanging = s.cases.oursWithHanging?.wallMs.median;
  return `**Ours** (\`MCPTeamBuilder.build()\`) starts every server at once, each bounded by its own connect timeout (${s.settings.connectTimeoutS} s here: nine Node servers spawned together on a busy 2-core machine need seconds to answer), and resolves once the required servers are up and their tools listed. The hanging server is optional, with \`skipFailedServers(true)\`: the build does not wait for it ${checkedBy(OPTIONAL, 'a hanging optional server does not delay build(); released, it joins with an event and its tools are offered')}; in this run the build with it took ${msOf(hanging)} against ${msOf(healthy)} without it (${x((hanging ?? Number.NaN) / (healthy ?? Number.NaN))}).

**LangChain** (\`MultiServerMCPClient\`, @langchain/mcp-adapters) connects the servers one after another and has no connect-timeout option of its own, so a server that never answers holds up the start until the SDK's request timeout ends \`initialize\`; in a quick run we stop waiting at our own bound (${msOf(s.settings.langchainBoundMs)}) and report the case as *bounded*.`;
}

export const scaleNotes = `Heap per server is retained memory with the connection open and idle: for ours, the ServerConnection, its connection and breaker actors (XState), the session, the logger and the SDK Client; the in-memory McpServer answering it is in both rows and cancels out of the *added* figure. Calls/s fires one call per server at once and waits for all of them, repeated. All connections share one \`EventBus\`, as a team's servers do; with no subscriber a call hands it no event ${checkedBy(FAST_PATH, 'with nobody observing the bus, the call path hands it no event')}.`;

/** Why our happy path costs what it does, from this run's split. */
export function happyPathCauses(o: OverheadResult): string {
  const a = o.attribution;
  if (!a?.signal) return '';
  return `**Cause.** Of the ${Math.round(o.addedNs.ours?.median ?? Number.NaN)} ns \`ServerConnection.callTool\` adds per call in this run, ${Math.round(a.events.median)} ns are the two events to one subscriber (ours − oursQuiet) and ${Math.round(a.rest.median)} ns everything else it does without a subscriber (oursQuiet − raw). A call that hands the SDK a signal would pay ${Math.round(a.signal.median)} ns more (rawSignal − raw); the **ours** row does not ${checkedBy(FAST_PATH, 'arms no timer and makes no signal until someone asks for the signal')}.`;
}

export const happyPathPlan = `**Plan** (check with \`BENCH_QUICK=1 BENCH_ONLY=overhead,failFast,allocation BENCH_OUT=/tmp/bench npx tsx bench/run.ts\`, paired ratios):

1. Let a call inside a team turn stay on the lazy path too (no \`AbortController\` unless something needs the signal) and follow it in section 7.
2. Keep this benchmark as the regression check: the paired ratios ours/raw and ours/opossum must not grow.`;

/** How to read section 7, with this run's figures and the defaults they support. */
export function teamTurnNotes(t: TeamTurnResult): string {
  const d = t.defaults;
  const seq = t.sequential;
  const lines = Object.entries(t.batch).map(([transport, v]) => {
    const limits = t.settings.limits.map((l) => `${l}: ${x(v[`limit${l}`]?.toRaw.median)}`).join(', ');
    const own = d[transport as keyof typeof d];
    const same = v[`limit${own}`]
      ? ` (the default and limit ${own} run the same code: their gap is this run's noise)`
      : '';
    return `- ${transport}: default ${own} → ${x(v.default?.toRaw.median)} of raw; by limit ${limits}${same}.`;
  });
  return `**Sequential calls** (the target): one call per model step never waits at the per-server limit, since a call waits only once the limit's worth of calls are in flight ${checkedBy('test/team/concurrencyLimits.test.ts', 'each transport gets its default limit, and a server or the team overrides it')}. In this run: ${x(seq.ours?.toRaw.median)} of raw with the default limit, ${x(seq.ours4?.toRaw.median)} with the old limit of 4; as neither waits, their gap is this run's noise.

**Calls at once**: the per-server limit is a bulkhead (calls past it wait in arrival order, across turns), and a batch of ${t.settings.batchCalls} calls shows what it costs on each transport:

${lines.join('\n')}

The defaults (\`DEFAULT_MAX_CONCURRENT_CALLS\` in src/team/callLimits.ts: ${Object.entries(d)
    .map(([k, v]) => `${k} ${v}`)
    .join(
      ', ',
    )}; a server's own \`maxConcurrentCalls\` or \`withMaxConcurrentCallsPerServer(n)\` overrides them ${checkedBy('test/team/concurrencyLimits.test.ts', 'each transport gets its default limit, and a server or the team overrides it')}) keep a step of up to ${d.streamableHttp} calls over HTTP and SSE from waiting, where every call is its own request; stdio keeps a tighter bulkhead, as its server is one local process.`;
}

const BREAKER = 'test/actors/CircuitBreaker.test.ts';
const MACHINE = 'test/machines/connection.machine.test.ts';
const HOST = 'test/actors/connectionHost.test.ts';
const LAZY_BREAKER = 'test/actors/lazyBreaker.test.ts';
const OBSERVERS = 'test/actors/connectionObservers.test.ts';
const PACKED = 'test/packaging/packedApp.test.ts';
const ROOT_IMPORT = 'test/packaging/rootImport.test.ts';

/** Why an idle connection still weighs more than a bare Client, from this run's figures. */
export function idleHeapCause(s: ScaleResult): string {
  return `**Cause.** Of the ${kibOf(s.heap.addedPerActor)} an idle connection keeps over a bare Client (the allowance at 1.3× is ${kibOf(0.3 * s.heap.perRawPair)}), the largest part is its connection actor: its snapshot, mailbox and actor scope, an XState child of a host actor whose system up to 64 standalone connections share ${checkedBy(HOST, 'shares a system among a few dozen connections on the wall clock; an inspector or another clock gets a system of its own')}, which holds no reference to it, so one dropped without \`close()\` is collected ${checkedBy(HOST, 'does not hold connections: constructed and dropped, or started and closed, they are collected')}. Then come the connection's own objects (tool list, wiring, session) and what the session asks of the SDK Client (list-changed, elicitation, sampling and server-log handlers); a connect attempt's state lives on its Client, whose error and close handlers are shared functions, and default connections share one frozen negotiation setting ${checkedBy(SHARING, 'default connections share one frozen negotiation and the same onerror/onclose functions')}; a connection keeps the caller's options only when it reads them later ${checkedBy(LATER_OPTIONS, 'options read only while building share one empty object')}, and connections made alike share their machine's options ${checkedBy(MACHINE, 'connections made alike share one frozen options object; different options get their own; restarts start shared and empty')}; the breaker and the call path are made by the first call ${checkedBy(LAZY_BREAKER, 'opens, degrades the connection and refuses calls exactly as a breaker made with the connection')} (and the breaker adds no actor until it is needed ${checkedBy(BREAKER, 'same states, events, errors and snapshots as a breaker whose actor is read at once')}), and the actor's empty tag set, children and history records are shared ones ${checkedBy(OBSERVERS, 'leaves an actor reading and moving exactly as one whose snapshots are left alone')}. An idle connection with keepalive off holds no timer ${checkedBy(MACHINE, 'never pings with pingIntervalMs 0, and a ready connection holds no timer')}, and the streams, logger child and flood guard are made on first use. **Plan:** what is left is mostly XState's actor (its scope, mailbox, observers and snapshot) and the SDK Client's own handlers; weigh registering the server-log handler only for servers that declare \`logging\`.`;
}

/** Why the connection entry imports slower than the SDK client, from this run's figures. */
export function coldImportCause(c: ColdImportResult): string {
  const over = c.wallMs.connection.median - c.wallMs.sdkClient.median;
  return `**Cause.** \`azcore/connection\` loads the SDK client and then ${msOf(over)} of its own: our code, published as one esbuild bundle whose entries that load the SDK client share the connection's chunk (a handful of files to resolve, compile and run) ${checkedBy(PACKED, 'loads every subpath as ESM and as CommonJS, with one copy of each class across subpaths')}. xstate is not loaded at import: it is required, the same CommonJS instance the app imports, when the first connection or breaker is made, and the connection and breaker machines and the connection logic are built then ${checkedBy(PACKED, 'azcore/connection loads a handful of files, and xstate by require at the first connection, the same xstate the app imports')}; that cost is in the *import + first connection* row. OAuth, the transports, pino and ajv wait for first use ${checkedBy(PACKED, 'keeps OAuth, the transports, the dashboard server, pino and ajv out of the root import')}, and rxjs for the first stream read ${checkedBy(ROOT_IMPORT, 'azcore/connection loads rxjs when a stream is first read, the same rxjs an application imports')}. **Plan:** what is left is our own chunk's size (parse and top-level code): move code a connection needs only on failure (error texts, redaction, classification tables) behind first use, measured with the loader-hook file list.`;
}

/** Why the root entry imports slower than @langchain/mcp-adapters, when it does. */
export function rootImportCause(c: ColdImportResult): string {
  return `**Cause.** \`azcore\` loads ${msOf(c.wallMs.root.median - c.wallMs.connection.median)} more than \`azcore/connection\`: the team, policy, health and metrics modules. LangChain is not among them: a team loads it when it is built ${checkedBy(ROOT_IMPORT, 'loads no dashboard, inspector, OpenAI, SQLite, mermaid or LangChain code')}. **Plan:** load the team runtime when the first team is built, as its LangChain parts already are.`;
}

function kibOf(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Why a call allocates more than opossum's, from this run's figures. */
export function allocationCause(ours: number, opossum: number): string {
  return `**Cause.** Ours leaves ${Math.round(ours).toLocaleString('en-US')} B per call on the heap over the raw SDK call, opossum ${Math.round(opossum).toLocaleString('en-US')} B. The allocation column of the happy-path table splits ours: **ours** − **oursQuiet** is what the call's events cost one subscriber (with none, the call path hands the bus no event ${checkedBy(FAST_PATH, 'with nobody observing the bus, the call path hands it no event')}); the rest is the retry loop, the breaker permit and the call's bookkeeping. **Plan:** profile the allocations of the CLOSED path and drop what it builds per call that no one reads.`;
}

/** Why connecting many servers takes longer than raw Clients, from this run's figures. */
export function connectAllCause(s: ScaleResult): string {
  const c = s.connectAllMs;
  const LOGIC = 'test/actors/connectionLogic.test.ts';
  const handshake = `A raw Client sends \`initialize\` by default; ours first asks the server which protocol era it speaks (\`server/discover\`, the 2026-07-28 probe; the bench's in-memory servers are 2025 servers and answer it with an error) and then initializes, so each connect is two round trips ${checkedBy('test/actors/ServerConnection.era.test.ts', "protocolVersion 'legacy' sends no probe: a v1 server that exits on server/discover never sees one")}, which is why the goal compares like with like: ours against a raw Client that probes too (\`versionNegotiation: { mode: 'auto' }\`), and ours pinned to 2025 against the SDK's default.`;
  const machine = `Each connection is also an XState actor: created with its connection (initial snapshot), then two transitions, idle → connecting (arming the connect timeout) and connecting → connected (entering its three regions), each a new snapshot built by XState's microstep. A connect attempt is not an actor of its own: it is the entry and exit of \`connecting\`, answered by an event ${checkedBy(MACHINE, 'a connect attempt that outlives connectTimeoutMs is abandoned and retried after the backoff')} ${checkedBy(LOGIC, 'a connect attempt in flight when its actor is stopped without CLOSE closes its session once it settles')}.`;
  if (!c.rawProbing || !c.oursPinned || !c.machineAlone) {
    return `**Cause.** Connecting ${s.servers} servers took ${msOf(c.ours?.median)} against ${msOf(c.raw?.median)} for raw Clients (median of ${c.rounds} rounds; ${x(c.oursToRaw?.median)} paired per round). ${handshake} ${machine}`;
  }
  const floor = c.machineToRawProbing?.median;
  const left = floor === undefined ? undefined : CONNECT_GOAL - 1 - floor;
  return `**Cause.** Connecting ${s.servers} servers took ${msOf(c.ours.median)} against ${msOf(c.rawProbing.median)} for raw Clients probing as ours does (${x(c.oursToRawProbing?.median)} paired per round), and pinned to 2025 ${msOf(c.oursPinned.median)} against ${msOf(c.raw.median)} (${x(c.pinnedToRaw?.median)}). ${handshake} ${machine} **The statechart alone** — the same machine driven through the same steps with its I/O replaced by nothing, measured in the same rounds — takes ${msOf(c.machineAlone.median)}, ${x(floor)} of a probing raw connect: against a goal of ${x(CONNECT_GOAL)}, ${left !== undefined && left <= 0 ? `XState's own work alone is over the budget (the goal allows ${x(CONNECT_GOAL - 1)} of a raw connect on top of it), before anything else a connection adds` : `XState's own work leaves ${x(left)} of a raw connect for everything else a connection adds`} (the constructor with its config validation, breaker and session; the Client's handlers for server requests, logs and list changes; the observers and the runtime events). **Plan:** ${left !== undefined && left <= 0 ? 'the goal is out of reach while every connection is an XState actor, which the product requires; what can still move is the rest:' : 'shrink the rest:'} allocation per connect (the garbage collector's share is the largest in a profile), and the machine's per-transition work (its connect timeout is a delayed XState event, scheduled on entry and cancelled on exit).`;
}
