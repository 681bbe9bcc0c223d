import { basename } from 'node:path';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { filter } from 'rxjs';
import { connectionStateName } from '../../machines/connection.machine.js';
import { createChatModel } from '../llm/createChatModel.js';
import { createInspectionStream } from '../observe/inspector.js';
import { createLogger } from '../observe/logger.js';
import type { ElicitationHandler } from '../protocol/serverRequests.js';
import type { MCPTeam } from '../team/MCPTeam.js';
import { MCPTeamBuilder } from '../team/MCPTeamBuilder.js';
import type { CliConfig } from './config.js';

/** Options of {@link openTeam}. */
export interface OpenTeamOptions {
  /** Treat every server as optional, so the team starts whatever fails (health, tools). */
  allOptional?: boolean;
  /** Connect budget of servers whose config sets none. */
  connectTimeoutMs?: number;
  /** pino level of the runtime's logs (on stderr). Default `silent`. */
  logLevel?: string;
  /** Called on every state change of a server while the team runs. */
  onServerState?: (server: string, state: string) => void;
  model?: BaseChatModel;
  /** Answers the servers' elicitations (without one, each is declined at once). */
  elicitation?: ElicitationHandler;
}

/** A team name from the config file name: `mcp.json` -> `mcp`. */
function teamName(path: string): string {
  return (
    basename(path)
      .replace(/\.json$/i, '')
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .slice(0, 64) || 'azcore'
  );
}

/**
 * Builds a team over every server of a config file. Optional servers that fail are skipped (they
 * keep reconnecting); a required one that fails rejects with a TeamBuildError naming it.
 *
 * @example
 * const team = await openTeam(loadConfig('mcp.json'), { onServerState: (s, st) => console.error(s, st) });
 */
export async function openTeam(config: CliConfig, options: OpenTeamOptions = {}): Promise<MCPTeam> {
  const inspection = createInspectionStream();
  const subscription = inspection.states$
    .pipe(filter((change) => change.actor.startsWith('server:')))
    .subscribe(({ actor, value }) =>
      options.onServerState?.(actor.slice('server:'.length), connectionStateName(value)),
    );
  const builder = new MCPTeamBuilder(teamName(config.path))
    .withLlm(options.model ?? createChatModel({ offline: { maxToolCalls: 10 } }))
    .withLogger(createLogger({ level: options.logLevel ?? 'silent' }))
    .withInspector(inspection.inspect)
    .skipFailedServers(true);
  if (options.elicitation) builder.withElicitation(options.elicitation);
  for (const server of config.servers) {
    const entry =
      options.connectTimeoutMs !== undefined && server.entry.connectTimeoutMs === undefined
        ? { ...server.entry, connectTimeoutMs: options.connectTimeoutMs }
        : server.entry;
    builder.withMcpServers(
      { mcpServers: { [server.name]: entry } },
      { optional: server.optional || options.allOptional === true },
    );
  }
  try {
    const team = await builder.build();
    team.events$.subscribe({ complete: () => subscription.unsubscribe() });
    return team;
  } catch (e) {
    subscription.unsubscribe();
    throw e;
  }
}
