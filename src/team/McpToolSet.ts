import type { StructuredToolInterface } from '@langchain/core/tools';
// rxjs by module, not its index (which loads every operator): the same module instances as 'rxjs'.
import type { Observable } from 'rxjs/internal/Observable';
import { combineLatest } from 'rxjs/internal/observable/combineLatest';
import { merge } from 'rxjs/internal/observable/merge';
import { of } from 'rxjs/internal/observable/of';
import { concatMap } from 'rxjs/internal/operators/concatMap';
import { distinctUntilChanged } from 'rxjs/internal/operators/distinctUntilChanged';
import { filter } from 'rxjs/internal/operators/filter';
import { share } from 'rxjs/internal/operators/share';
import { ReplaySubject } from 'rxjs/internal/ReplaySubject';
import type { Subscription } from 'rxjs/internal/Subscription';
import type { ServerConnection } from '../actors/ServerConnection.js';
import type { RuntimeEvent } from '../events/RuntimeEvent.js';
import type { Deadline } from '../resilience/Deadline.js';
import { createMcpTool, type McpStructuredTool } from './createMcpTool.js';
import { serverUnavailable } from './serverUnavailable.js';
import type { ToolRegistry } from './ToolRegistry.js';

/** What an {@link McpToolSet} is made of; a team or {@link connectionTools} supplies it. */
export interface McpToolSetSource {
  servers: readonly ServerConnection[];
  registry: ToolRegistry;
  /** Every event of these servers (`tools.changed` makes the set re-read). */
  events$: Observable<RuntimeEvent>;
  toolTimeoutMs?: number | undefined;
  /** Bounds concurrent calls per server (the team's per-server semaphore). */
  limiterFor?: ((server: string) => { run<T>(fn: () => Promise<T>): Promise<T> }) | undefined;
}

/**
 * The MCP tools of some servers as LangChain tools for an agent of one's own (LangGraph
 * `createReactAgent`, `ToolNode`...), following server state live:
 *
 * - {@link getTools} / {@link current} return the tools that can be called now (servers connected
 *   and admitted by their breaker, within the limits of toolLimits.ts);
 * - a tool already handed out whose server is down fails at once with the typed error as its
 *   result (`Error [connection/NOT_CONNECTED]: ...`, `Error [circuitOpen/CIRCUIT_OPEN]: ...`), so an
 *   agent never hangs on it, and works again once the server is back;
 * - {@link tools$} (and {@link onToolsChanged}) emit a new list whenever the set changes (a server
 *   went down or came back, its tool list changed), so an agent can be rebuilt with it.
 *
 * Each tool runs through the server's breaker, retry and deadline; `config.signal` cancels it.
 */
export class McpToolSet {
  /** The current tools now and after every change (a new subscriber gets the current list first). */
  readonly tools$: Observable<McpStructuredTool[]>;
  readonly #source: McpToolSetSource;
  readonly #byName: Map<string, ServerConnection>;
  /** Our fail-fast copy of each registry tool: stable while the server's listing does not change. */
  readonly #copies = new WeakMap<McpStructuredTool, McpStructuredTool>();

  constructor(source: McpToolSetSource) {
    this.#source = source;
    this.#byName = new Map(source.servers.map((s) => [s.name, s]));
    const availability = source.servers.map((s) => combineLatest([s.state$, s.breaker.state$]));
    const listings = source.events$.pipe(filter((e) => e.type === 'tools.changed'));
    this.tools$ = merge(of(undefined), ...availability, listings).pipe(
      concatMap(() => this.getTools()),
      distinctUntilChanged(sameTools),
      // Hot while observed; a late subscriber gets the current list first.
      share({ connector: () => new ReplaySubject(1), resetOnRefCountZero: true }),
    );
  }

  /**
   * Loads the tool lists of servers that came online (waiting at most for their list budget, and
   * never past `deadline`), then returns the current tools of `servers` (default: all). Never rejects.
   * Like `MultiServerMCPClient.getTools(...servers)` of `@langchain/mcp-adapters`.
   */
  async getTools(...servers: string[]): Promise<McpStructuredTool[]> {
    await this.refresh();
    return this.current(...servers);
  }

  /** Loads the tool lists of servers that came online; never rejects. */
  refresh(deadline?: Deadline): Promise<void> {
    return this.#source.registry.refresh(deadline);
  }

  /** The tools that can be called now, of `servers` (default: all); no I/O. */
  current(...servers: string[]): McpStructuredTool[] {
    const wanted = servers.length > 0 ? new Set(servers) : undefined;
    const out: McpStructuredTool[] = [];
    for (const tool of this.#source.registry.live().tools as readonly McpStructuredTool[]) {
      if (wanted && !wanted.has(tool.server)) continue;
      out.push(this.#copyOf(tool));
    }
    return out;
  }

  /**
   * Calls `listener` with the new list each time the set changes; returns the unsubscribe function.
   * (Subscribe to {@link tools$} instead to get the current list at once.)
   */
  onToolsChanged(listener: (tools: StructuredToolInterface[]) => void): () => void {
    let first = true;
    const subscription: Subscription = this.tools$.subscribe((tools) => {
      if (first) {
        first = false;
        return;
      }
      listener(tools);
    });
    return () => subscription.unsubscribe();
  }

  #copyOf(tool: McpStructuredTool): McpStructuredTool {
    let copy = this.#copies.get(tool);
    if (copy) return copy;
    const server = this.#byName.get(tool.server);
    if (!server) return tool;
    const limiter = this.#source.limiterFor?.(server.name);
    copy = createMcpTool(server, tool.mcpTool, {
      name: tool.name,
      lazyValidation: true,
      unavailable: () => serverUnavailable(server),
      ...(this.#source.toolTimeoutMs !== undefined ? { timeoutMs: this.#source.toolTimeoutMs } : {}),
      ...(limiter ? { limiter } : {}),
    });
    this.#copies.set(tool, copy);
    return copy;
  }
}

function sameTools<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}
