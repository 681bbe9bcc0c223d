// Hostile and healthy servers for test/hostile: real processes (test/fixtures), connections on one
// bus, and teams of one healthy and one hostile server.
import { fileURLToPath } from 'node:url';
import { filter, firstValueFrom } from 'rxjs';
import { ServerConnection, type ServerConnectionOptions } from '../../src/actors/ServerConnection.js';
import type { ServerConfig } from '../../src/config/serverConfig.js';
import { EventBus, ofType } from '../../src/events/EventBus.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import type { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { stdioFixture } from '../fixtures/index.js';
import type { HostileCase } from './harness.js';

export const HOSTILE_SERVER = fileURLToPath(new URL('../fixtures/hostile-server.mjs', import.meta.url));
export type HostileMode =
  | 'list-hang'
  | 'list-forever'
  | 'huge-error'
  | 'redos'
  | 'notification-flood'
  | 'app-error'
  | 'schema-churn'
  | 'huge-protocol-version'
  | 'leak-secrets';

/** The healthy server's own budget for one call: a stdio round trip on a loaded 2-core machine. */
export const HEALTHY_CALL_MS = 1_000;
/**
 * The longest event-loop stall a flood may cause, in this process's CPU ms: half the healthy
 * server's own call budget. With the stdio reader reading a bounded slice per turn
 * (src/transports/FairDrain.ts) a 20,000-message burst stalls 0.25-0.4 s of wall time on a loaded
 * 2-core machine (mostly garbage collection), against 1.1-3.3 s when the whole burst was parsed in
 * one turn. Counted in CPU time since the wall-time maximum grew past 0.6 s when other processes
 * held both cores (the loop waited for the OS, not for our code).
 */
export const LOOP_STALL_LIMIT_MS = HEALTHY_CALL_MS / 2;

export const hostileConfig = (mode: HostileMode, extra: Partial<ServerConfig> = {}): ServerConfig =>
  ({
    name: 'hostile',
    transport: 'stdio',
    command: process.execPath,
    args: [HOSTILE_SERVER, `--mode=${mode}`],
    connectTimeoutMs: 5_000,
    ...extra,
  }) as ServerConfig;

export const healthyConfig = (): ServerConfig => ({
  name: 'healthy',
  transport: 'stdio',
  ...stdioFixture(),
  connectTimeoutMs: 10_000,
});

/** A bus with every event recorded, shared by the connections of a case. */
export function sharedBus(c: HostileCase) {
  const bus = new EventBus();
  const events: RuntimeEvent[] = [];
  const sub = bus.events$.subscribe((e) => events.push(e));
  c.onCleanup(async () => sub.unsubscribe());
  return { bus, events };
}

/** A connection closed at cleanup (not started). */
export function connection(
  c: HostileCase,
  config: ServerConfig,
  extra: Partial<ServerConnectionOptions> = {},
): ServerConnection {
  const conn = new ServerConnection({
    config,
    logger: quietLogger,
    ...extra,
    connection: { pingIntervalMs: 0, backoffBaseMs: 10, backoffMaxMs: 50, ...extra.connection },
  });
  c.onCleanup(() => conn.close());
  return conn;
}

/** The healthy fixture server on `bus`, started. */
export async function healthyOn(c: HostileCase, bus: EventBus): Promise<ServerConnection> {
  const healthy = connection(c, healthyConfig(), { bus });
  await healthy.start();
  return healthy;
}

/**
 * Times the healthy server's echo over and over while `hostile` runs, so at least one healthy call
 * overlaps whatever the hostile server does. Records the count and the slowest.
 */
export async function healthyMeanwhile<T>(
  c: HostileCase,
  healthy: ServerConnection,
  hostile: Promise<T>,
): Promise<T> {
  let done = false;
  const finished = hostile.finally(() => {
    done = true;
  });
  let count = 0;
  let slowest = 0;
  while (!done || count === 0) {
    const started = performance.now();
    await c.healthy('echo', HEALTHY_CALL_MS, () => healthy.callTool('echo', { text: 'ok' }));
    slowest = Math.max(slowest, performance.now() - started);
    count++;
  }
  delete c.measured['healthy echo ms'];
  c.measure('healthy calls meanwhile', count);
  c.measure('healthy slowest ms', slowest);
  return finished;
}

/** A team of the healthy fixture server and an optional hostile one, one failure opens a breaker. */
export async function teamWith(
  c: HostileCase,
  mode: HostileMode,
  model: ScriptedChatModel,
  connectTimeoutS = 2,
): Promise<MCPTeam> {
  const fx = stdioFixture();
  const team = await new MCPTeamBuilder('hostile_suite')
    .withLlm(model)
    .withLogger(quietLogger)
    .withMcpServer(fx.command, fx.args, { name: 'healthy' })
    .withMcpServer(process.execPath, [HOSTILE_SERVER, `--mode=${mode}`], {
      name: 'hostile',
      optional: true,
      connectTimeout: connectTimeoutS,
      timeout: 60,
    })
    .withCircuitBreaker({ strategy: { kind: 'consecutive', threshold: 1 }, resetTimeoutMs: 600_000 })
    .skipFailedServers(true)
    .build();
  c.onCleanup(() => team.cleanup());
  return team;
}

/**
 * The hostile server is optional, and build() waits only for required servers: a case that needs
 * the hostile server's tools waits for it to join the team (team.server.joined).
 */
export async function hostileJoined(team: MCPTeam): Promise<void> {
  if (team.getServerStates().hostile?.tools) return;
  await firstValueFrom(
    team.events$.pipe(
      ofType('team.server.joined'),
      filter((e) => e.server === 'hostile'),
    ),
  );
}
