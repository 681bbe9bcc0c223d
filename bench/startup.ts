// Section 4: team startup over 10 stdio servers (9 healthy, 1 hanging), ours vs MultiServerMCPClient.
import { MultiServerMCPClient } from '@langchain/mcp-adapters';
import { RuleBasedChatModel } from '../src/llm/RuleBasedChatModel.js';
import { createLogger } from '../src/observe/logger.js';
import { MCPTeamBuilder } from '../src/team/MCPTeamBuilder.js';
import { stdioFixture } from '../test/fixtures/index.js';
import { type ColdImportResult, coldImport } from './coldImport.js';
import type { BenchConfig } from './lib/config.js';
import { type Spread, summarize } from './lib/stats.js';

/**
 * Connect timeouts: 2 s for the optional (hanging) server, as a user would give a server they can
 * do without; 15 s for the healthy ones, because nine Node servers spawned at once on a busy 2-core
 * machine take 3-5 s to answer initialize, and a tight timeout would measure our timeouts, not startup.
 */
export const STARTUP_SETTINGS = {
  healthy: 9,
  hanging: 1,
  connectTimeoutS: 15,
  hangingConnectTimeoutS: 2,
} as const;

interface ServerSpec {
  name: string;
  command: string;
  args: string[];
  hanging: boolean;
}

export interface StartupSample {
  wallMs: number;
  serversConnected: number;
  tools: number;
  /** How the build ended: 'built', 'threw: ...', or 'bounded' when our own timeout fired first. */
  outcome: string;
}

export interface StartupCase {
  id: string;
  label: string;
  samples: StartupSample[];
  wallMs: Spread;
  /** Wall time of cleanup()/close() after the build, median. */
  closeMs: number;
}

export interface StartupResult {
  settings: typeof STARTUP_SETTINGS & { langchainBoundMs: number };
  cases: Record<string, StartupCase>;
  /** Cold import of our entries and their peers, each in a fresh node (before the team cases). */
  coldImport?: ColdImportResult;
}

const silent = createLogger({ level: 'silent' });

/** A safety bound only: healthy servers always connect well within it. */
const HEALTHY_BOUND_MS = 120_000;

function servers(withHanging: boolean): ServerSpec[] {
  const list: ServerSpec[] = [];
  for (let i = 0; i < STARTUP_SETTINGS.healthy; i++)
    list.push({ name: `ok${i}`, ...stdioFixture(), hanging: false });
  // Last in the list: MultiServerMCPClient connects in order, so the healthy ones are not held up by it.
  if (withHanging)
    list.push({ name: 'hang', ...stdioFixture({ faults: ['hang-on-connect'] }), hanging: true });
  return list;
}

async function ours(
  list: ServerSpec[],
  protocolVersion: 'auto' | 'legacy' = 'auto',
): Promise<{ sample: StartupSample; closeMs: number }> {
  const builder = new MCPTeamBuilder('bench')
    .withLlm(new RuleBasedChatModel())
    .withLogger(silent)
    .skipFailedServers(true);
  for (const s of list) {
    builder.withMcpServer(s.command, s.args, {
      name: s.name,
      connectTimeout: s.hanging ? STARTUP_SETTINGS.hangingConnectTimeoutS : STARTUP_SETTINGS.connectTimeoutS,
      optional: s.hanging,
      protocolVersion,
    });
  }
  const t0 = performance.now();
  const team = await builder.build();
  const wallMs = performance.now() - t0;
  const sample = {
    wallMs,
    serversConnected: team.getMcpServerCount(),
    tools: team.getMcpToolNames().length,
    outcome: 'built',
  };
  const c0 = performance.now();
  await team.cleanup();
  return { sample, closeMs: performance.now() - c0 };
}

async function langchain(
  list: ServerSpec[],
  boundMs: number,
): Promise<{ sample: StartupSample; closeMs: number }> {
  const client = new MultiServerMCPClient({
    mcpServers: Object.fromEntries(
      list.map((s) => [
        s.name,
        { transport: 'stdio' as const, command: s.command, args: s.args, stderr: 'ignore' as const },
      ]),
    ),
    // The closest to skipFailedServers(true): skip a server that fails to connect.
    onConnectionError: 'ignore',
  });
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const bounded = new Promise<'bounded'>((resolve) => {
    timer = setTimeout(() => resolve('bounded'), boundMs);
  });
  let outcome = 'built';
  let tools = 0;
  let connected = 0;
  try {
    // What getTools() runs first: connect each server in turn and load its tools.
    const got = await Promise.race([client.initializeConnections(), bounded]);
    if (got === 'bounded') outcome = 'bounded';
    else {
      const perServer = Object.values(got);
      connected = perServer.length;
      tools = perServer.reduce((n, t) => n + t.length, 0);
    }
  } catch (e) {
    outcome = `threw: ${e instanceof Error ? e.message.slice(0, 120) : String(e)}`;
  } finally {
    clearTimeout(timer);
  }
  const wallMs = performance.now() - t0;
  const c0 = performance.now();
  // A bounded build may leave the hanging child running; it exits when this section's process does.
  await client.close().catch(() => undefined);
  return {
    sample: { wallMs, serversConnected: connected, tools, outcome },
    closeMs: performance.now() - c0,
  };
}

type Once = () => Promise<{ sample: StartupSample; closeMs: number }>;

interface Plan {
  id: string;
  label: string;
  once: Once;
}

/**
 * Runs the cases round by round (order rotated), so the load of other processes, which drifts
 * over tens of seconds, falls on every case alike instead of on whichever ran last.
 */
async function interleaved(plans: Plan[], runs: number, log: (line: string) => void): Promise<StartupCase[]> {
  const samples = new Map(plans.map((p) => [p.id, { list: [] as StartupSample[], closes: [] as number[] }]));
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < plans.length; i++) {
      const plan = plans[(i + r) % plans.length]!;
      const { sample, closeMs } = await plan.once();
      const own = samples.get(plan.id)!;
      own.list.push(sample);
      own.closes.push(closeMs);
      log(
        `  ${plan.id} ${r + 1}/${runs}: ${sample.wallMs.toFixed(0)} ms, ${sample.serversConnected} servers, ${sample.tools} tools, ${sample.outcome}`,
      );
    }
  }
  return plans.map((p) => {
    const own = samples.get(p.id)!;
    return {
      id: p.id,
      label: p.label,
      samples: own.list,
      wallMs: summarize(own.list.map((s) => s.wallMs)),
      closeMs: summarize(own.closes).median,
    };
  });
}

export async function run(config: BenchConfig, log: (line: string) => void): Promise<StartupResult> {
  const healthy = servers(false);
  const all = servers(true);
  const cases: Record<string, StartupCase> = {};
  // First, while this process has spawned nothing yet: fresh node processes, one import each.
  const imports = await coldImport(config, log);
  await ours(healthy.slice(0, 1)); // warm-up: the first spawn of node and the first SDK load
  const plans: Plan[] = [
    { id: 'oursHealthy', label: 'azcore build(), 9 healthy', once: () => ours(healthy) },
    {
      // What a connect cost before era negotiation: the 2025 handshake alone, no server/discover probe.
      id: 'oursHealthyNoProbe',
      label: "azcore build(), 9 healthy, protocolVersion 'legacy' (no era probe)",
      once: () => ours(healthy, 'legacy'),
    },
    {
      id: 'langchainHealthy',
      label: 'MultiServerMCPClient.initializeConnections(), 9 healthy',
      once: () => langchain(healthy, HEALTHY_BOUND_MS),
    },
    {
      id: 'oursWithHanging',
      label: 'azcore build(), 9 healthy + 1 hanging (optional with a 2 s connect timeout, skipFailedServers)',
      once: () => ours(all),
    },
  ];
  for (const c of await interleaved(plans, config.startupRuns, log)) cases[c.id] = c;
  // Once, last: it takes a minute (the SDK's default initialize timeout) unless our bound cuts it.
  const [hang] = await interleaved(
    [
      {
        id: 'langchainWithHanging',
        label: `MultiServerMCPClient.initializeConnections(), 9 healthy + 1 hanging (onConnectionError: ignore; bounded by us at ${config.langchainHangBoundMs} ms)`,
        once: () => langchain(all, config.langchainHangBoundMs),
      },
    ],
    1,
    log,
  );
  if (hang) cases.langchainWithHanging = hang;
  return {
    settings: { ...STARTUP_SETTINGS, langchainBoundMs: config.langchainHangBoundMs },
    cases,
    coldImport: imports,
  };
}
