import type { StructuredToolInterface } from '@langchain/core/tools';
import type { Tool } from '@modelcontextprotocol/client';
import type { ServerConnection } from '../actors/ServerConnection.js';
import type { Deadline } from '../resilience/Deadline.js';
import { createMcpTool } from './createMcpTool.js';
import { qualifiedToolName } from './toolNames.js';

/** One server as the model's capability list shows it. */
export interface ServerCapability {
  server: string;
  available: boolean;
  state: string;
  tools: string[];
}

/** The tools that may be offered to the model right now. */
export interface LiveTools {
  tools: StructuredToolInterface[];
  /** Qualified tool name -> server name, for every tool known (live or not). */
  serverOf: ReadonlyMap<string, string>;
  capabilities: ServerCapability[];
}

interface Entry {
  source: readonly Tool[];
  tools: StructuredToolInterface[];
}

/**
 * Turns each server's cached MCP tool list into LangChain tools named `<server>__<tool>` and says
 * which are live. Tool lists are fetched only when a server's cache is empty (first connect,
 * reconnect, list_changed): no turn pays for a tools/list round trip otherwise.
 */
export class ToolRegistry {
  readonly #servers: readonly ServerConnection[];
  readonly #toolTimeoutMs: number | undefined;
  readonly #entries = new Map<string, Entry>();
  readonly #serverOf = new Map<string, string>();

  constructor(servers: readonly ServerConnection[], options: { toolTimeoutMs?: number | undefined } = {}) {
    this.#servers = servers;
    this.#toolTimeoutMs = options.toolTimeoutMs;
  }

  /** Loads the tool lists of available servers whose cache is empty; failures just leave them out. */
  async refresh(deadline?: Deadline): Promise<void> {
    await Promise.all(
      this.#servers
        .filter((s) => s.available && !s.cachedTools)
        .map((s) => s.listTools(deadline ? { deadline } : {}).catch(() => undefined)),
    );
  }

  /** Tools of servers that are available now, and a capability summary of all servers. */
  live(): LiveTools {
    const tools: StructuredToolInterface[] = [];
    const capabilities: ServerCapability[] = [];
    for (const server of this.#servers) {
      const entry = this.#entryFor(server);
      const available = server.available && entry !== undefined;
      if (available) tools.push(...entry.tools);
      capabilities.push({
        server: server.name,
        available,
        state:
          server.breaker.state === 'closed'
            ? server.state
            : `${server.state}, breaker ${server.breaker.state}`,
        tools: entry?.tools.map((t) => t.name) ?? [],
      });
    }
    return { tools, serverOf: this.#serverOf, capabilities };
  }

  /** Every qualified tool name known so far, live or not. */
  allNames(): string[] {
    return [...this.#serverOf.keys()];
  }

  #entryFor(server: ServerConnection): Entry | undefined {
    const source = server.cachedTools;
    const entry = this.#entries.get(server.name);
    if (!source || entry?.source === source) return entry;
    for (const t of entry?.tools ?? []) this.#serverOf.delete(t.name);
    const taken = new Set(this.#serverOf.keys());
    const tools = source.map((tool) => {
      const name = qualifiedToolName(server.name, tool.name, taken);
      taken.add(name);
      this.#serverOf.set(name, server.name);
      return createMcpTool(server, tool, {
        name,
        ...(this.#toolTimeoutMs !== undefined ? { timeoutMs: this.#toolTimeoutMs } : {}),
      });
    });
    const fresh = { source, tools };
    this.#entries.set(server.name, fresh);
    return fresh;
  }
}
