// Section 7: one agent turn, ours (MCPTeam.invoke) vs a hand-written LangChain loop over the raw SDK,
// over real servers in other processes: Streamable HTTP with sequential calls (the target), and a
// batch of concurrent calls per transport at several per-server concurrency limits (the defaults).
import type { BaseMessage } from '@langchain/core/messages';
import { AIMessage, HumanMessage, type ToolMessage } from '@langchain/core/messages';
import { DynamicStructuredTool, type StructuredToolInterface } from '@langchain/core/tools';
import {
  type CallToolResult,
  Client,
  SSEClientTransport,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { TransportKind } from '../src/config/serverConfig.js';
import { ScriptedChatModel } from '../src/llm/ScriptedChatModel.js';
import { createLogger } from '../src/observe/logger.js';
import { DEFAULT_MAX_CONCURRENT_CALLS } from '../src/team/callLimits.js';
import type { MCPTeam } from '../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../src/team/MCPTeamBuilder.js';
import { startHttpFixture, stdioFixture, stopAllFixtures } from '../test/fixtures/index.js';
import type { BenchConfig } from './lib/config.js';
import { type Spread, summarize } from './lib/stats.js';

/** Shapes of the measured turns. */
export const TEAM_TURN_SETTINGS = {
  /** Sequential turn: the model asks for one `echo` call per step, this many steps, then answers. */
  sequentialCalls: 8,
  /** Batch turn: the model asks for this many `echo` calls at once, then answers. */
  batchCalls: 16,
  /** Per-server limits tried on the batch turn (beside the transport's default). */
  limits: [4, 8, 16, 32],
} as const;

export interface TurnVariant {
  id: string;
  label: string;
  /** ms per turn, per round (median of the round's turns). */
  msPerTurn: Spread;
  /** This variant's ms per turn over the raw loop's, paired per round. */
  toRaw: Spread;
}

export interface TeamTurnResult {
  settings: typeof TEAM_TURN_SETTINGS & { rounds: number; turnsPerRound: number };
  defaults: Record<TransportKind, number>;
  /** Streamable HTTP, sequential calls: raw, ours with the default limit, ours with the old 4. */
  sequential: Record<string, TurnVariant>;
  /** Per transport, a batch of concurrent calls: raw and ours at each limit. */
  batch: Record<TransportKind, Record<string, TurnVariant>>;
}

const silent = createLogger({ level: 'silent' });
const PROMPT = 'echo';

/** The model of every variant: asks for `echo` calls until it has `total` results, `perStep` at a time. */
function scriptedModel(total: number, perStep: number): ScriptedChatModel {
  return new ScriptedChatModel(
    [
      (messages, tools) => {
        const done = messages.filter((m) => m.getType() === 'tool').length;
        if (done >= total) return { content: `done after ${done} calls` };
        const echo = tools.find((t) => t.name === 'echo' || t.name.endsWith('__echo'))?.name ?? 'echo';
        const n = Math.min(perStep, total - done);
        return {
          toolCalls: Array.from({ length: n }, (_, i) => ({ name: echo, args: { text: `e${done + i}` } })),
        };
      },
    ],
    { whenExhausted: 'repeatLast' },
  );
}

interface Runner {
  id: string;
  label: string;
  turn: () => Promise<void>;
  close: () => Promise<void>;
}

function expectDone(messages: readonly BaseMessage[], total: number): void {
  const last = messages.at(-1);
  if (!(last instanceof AIMessage) || last.content !== `done after ${total} calls`) {
    throw new Error(`turn did not finish as scripted: ${String(last?.content)}`);
  }
  const failed = messages.filter((m) => m.getType() === 'tool' && (m as ToolMessage).status === 'error');
  if (failed.length > 0) throw new Error(`tool failed: ${String(failed[0]?.content)}`);
}

interface Endpoint {
  transport: TransportKind;
  url?: string;
  stdio?: { command: string; args: string[] };
}

function rawTransport(e: Endpoint) {
  if (e.transport === 'stdio')
    return new StdioClientTransport({ command: e.stdio!.command, args: e.stdio!.args });
  if (e.transport === 'sse') return new SSEClientTransport(new URL(e.url!));
  return new StreamableHTTPClientTransport(new URL(e.url!));
}

function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

/**
 * The hand-written loop: list the tools once, wrap each as a DynamicStructuredTool over
 * `client.callTool`, bind them, and run model -> all tool calls at once (as LangGraph's ToolNode)
 * -> model until it answers.
 */
async function rawRunner(e: Endpoint, total: number, perStep: number): Promise<Runner> {
  const client = new Client({ name: 'bench-raw', version: '1.0.0' }, { capabilities: {} });
  await client.connect(rawTransport(e));
  const { tools: listed } = await client.listTools();
  const tools: StructuredToolInterface[] = listed.map(
    (t) =>
      new DynamicStructuredTool({
        name: t.name,
        description: t.description ?? '',
        schema: t.inputSchema as Record<string, unknown>,
        func: async (args: Record<string, unknown>) =>
          textOf((await client.callTool({ name: t.name, arguments: args })) as CallToolResult),
      }),
  );
  const byName = new Map(tools.map((t) => [t.name, t]));
  const model = scriptedModel(total, perStep);
  return {
    id: 'raw',
    label: 'hand-written LangChain loop over a raw SDK Client',
    turn: async () => {
      model.reset();
      const bound = model.bindTools(tools);
      const messages: BaseMessage[] = [new HumanMessage(PROMPT)];
      for (;;) {
        const ai = (await bound.invoke(messages)) as AIMessage;
        messages.push(ai);
        const calls = ai.tool_calls ?? [];
        if (calls.length === 0) break;
        const results = await Promise.all(
          calls.map((c) => byName.get(c.name)!.invoke({ ...c, type: 'tool_call' }) as Promise<ToolMessage>),
        );
        messages.push(...results);
      }
      expectDone(messages, total);
    },
    close: () => client.close(),
  };
}

async function oursRunner(
  e: Endpoint,
  total: number,
  perStep: number,
  limit: number | undefined,
  id: string,
  label: string,
): Promise<Runner> {
  const model = scriptedModel(total, perStep);
  const builder = new MCPTeamBuilder('bench')
    .withLlm(model)
    .withLogger(silent)
    .withMaxIterations(total + 2);
  if (limit !== undefined) builder.withMaxConcurrentCallsPerServer(limit);
  if (e.transport === 'stdio') builder.withMcpServer(e.stdio!.command, e.stdio!.args, { name: 'fx' });
  else if (e.transport === 'sse') builder.withMcpServerSse(e.url!, { name: 'fx' });
  else builder.withMcpServerHttp(e.url!, { name: 'fx', protocolVersion: 'legacy' });
  const team: MCPTeam = await builder.build();
  return {
    id,
    label,
    turn: async () => {
      model.reset();
      const { messages } = await team.invoke({ messages: [new HumanMessage(PROMPT)] });
      expectDone(messages, total);
    },
    close: () => team.cleanup(),
  };
}

/**
 * Rounds of `turns` turns per runner, ms per turn per round (the median of the round's turns). Inside a
 * round the runners take turns one turn at a time (their order rotating each turn), so a change of
 * load on the machine (other processes on 2 cores) falls on every runner alike, not on a block of one.
 */
async function interleave(runners: Runner[], config: BenchConfig): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = Object.fromEntries(runners.map((r) => [r.id, []]));
  for (const r of runners) for (let i = 0; i < 10; i++) await r.turn(); // warm: JIT, schemas, sockets
  let rotation = 0;
  for (let round = 0; round < config.teamTurnRounds; round++) {
    const samples: Record<string, number[]> = Object.fromEntries(runners.map((r) => [r.id, []]));
    for (let t = 0; t < config.teamTurnTurns; t++) {
      rotation++;
      for (let k = 0; k < runners.length; k++) {
        const r = runners[(k + rotation) % runners.length]!;
        const start = performance.now();
        await r.turn();
        samples[r.id]!.push(performance.now() - start);
      }
    }
    for (const r of runners) out[r.id]!.push(summarize(samples[r.id]!).median);
  }
  return out;
}

function variants(runners: Runner[], times: Record<string, number[]>): Record<string, TurnVariant> {
  const raw = times.raw ?? [];
  return Object.fromEntries(
    runners.map((r) => {
      const mine = times[r.id] ?? [];
      return [
        r.id,
        {
          id: r.id,
          label: r.label,
          msPerTurn: summarize(mine),
          toRaw: summarize(mine.map((v, i) => v / (raw[i] ?? Number.NaN))),
        },
      ];
    }),
  );
}

async function measure(
  make: () => Promise<Runner[]>,
  config: BenchConfig,
  log: (line: string) => void,
  what: string,
): Promise<Record<string, TurnVariant>> {
  const runners = await make();
  try {
    const result = variants(runners, await interleave(runners, config));
    log(
      `  ${what}: ${Object.values(result)
        .map((v) => `${v.id} ${v.msPerTurn.median.toFixed(2)} ms (${v.toRaw.median.toFixed(3)}x)`)
        .join(', ')}`,
    );
    return result;
  } finally {
    await Promise.all(runners.map((r) => r.close()));
  }
}

export async function run(config: BenchConfig, log: (line: string) => void): Promise<TeamTurnResult> {
  const s = TEAM_TURN_SETTINGS;
  const http = await startHttpFixture();
  try {
    const endpoints: Record<TransportKind, Endpoint> = {
      streamableHttp: { transport: 'streamableHttp', url: http.url.href },
      sse: { transport: 'sse', url: http.sseUrl.href },
      stdio: { transport: 'stdio', stdio: stdioFixture() },
    };
    const e = endpoints.streamableHttp;
    const n = s.sequentialCalls;
    const sequential = await measure(
      async () => [
        await rawRunner(e, n, 1),
        await oursRunner(e, n, 1, undefined, 'ours', 'MCPTeam.invoke, default limit'),
        await oursRunner(e, n, 1, 4, 'ours4', 'MCPTeam.invoke, limit 4 (the old default)'),
      ],
      config,
      log,
      `streamableHttp, ${n} sequential calls`,
    );
    const batch = {} as TeamTurnResult['batch'];
    for (const transport of ['streamableHttp', 'sse', 'stdio'] as const) {
      const ep = endpoints[transport];
      const b = s.batchCalls;
      batch[transport] = await measure(
        async () => [
          await rawRunner(ep, b, b),
          await oursRunner(
            ep,
            b,
            b,
            undefined,
            'default',
            `MCPTeam.invoke, default limit (${DEFAULT_MAX_CONCURRENT_CALLS[transport]})`,
          ),
          ...(await Promise.all(
            s.limits.map((l) => oursRunner(ep, b, b, l, `limit${l}`, `MCPTeam.invoke, limit ${l}`)),
          )),
        ],
        config,
        log,
        `${transport}, ${b} calls at once`,
      );
    }
    return {
      settings: { ...s, rounds: config.teamTurnRounds, turnsPerRound: config.teamTurnTurns },
      defaults: { ...DEFAULT_MAX_CONCURRENT_CALLS },
      sequential,
      batch,
    };
  } finally {
    await stopAllFixtures();
  }
}
