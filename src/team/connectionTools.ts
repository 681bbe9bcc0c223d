import type { ServerConnection } from '../actors/ServerConnection.js';
import type { Clock } from '../resilience/Clock.js';
import { McpToolSet } from './McpToolSet.js';
import { ToolRegistry } from './ToolRegistry.js';
import { DEFAULT_LIST_BUDGET_MS } from './toolLimits.js';

/** Options of {@link connectionTools}. */
export interface ConnectionToolsOptions {
  /** Budget of one tool call in ms (default: the server's request timeout). */
  toolTimeoutMs?: number | undefined;
  /** Budget of one tools/list in ms (default {@link DEFAULT_LIST_BUDGET_MS}). */
  listBudgetMs?: number | undefined;
  clock?: Clock | undefined;
}

/**
 * The tools of one {@link ServerConnection} as a live {@link McpToolSet}: `getTools()` for an agent
 * of one's own, `tools$` / `onToolsChanged` to follow the set, tools that fail fast while the
 * server is down. Names are `<server>__<tool>`, as in a team.
 *
 * @example
 * const files = new ServerConnection({ config });
 * await files.start();
 * const agent = createReactAgent({ llm, tools: await connectionTools(files).getTools() });
 */
export function connectionTools(
  connection: ServerConnection,
  options: ConnectionToolsOptions = {},
): McpToolSet {
  const registry = new ToolRegistry([connection], {
    toolTimeoutMs: options.toolTimeoutMs,
    listBudgetMs: () => options.listBudgetMs ?? DEFAULT_LIST_BUDGET_MS,
    clock: options.clock,
  });
  return new McpToolSet({
    servers: [connection],
    registry,
    events$: connection.events$,
    toolTimeoutMs: options.toolTimeoutMs,
  });
}
