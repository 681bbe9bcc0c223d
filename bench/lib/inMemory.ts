import type { CallToolResult, Transport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { ServerConfig } from '../../src/config/serverConfig.js';

/** The call every happy-path figure makes: one small tool with a validated argument. */
export const CALL = { name: 'double', arguments: { n: 21 } } as const;

/** An SDK McpServer with the `double` tool, in this process. */
export function doubleServer(): McpServer {
  const server = new McpServer({ name: 'bench', version: '1.0.0' });
  server.registerTool('double', { inputSchema: z.object({ n: z.number() }) }, async ({ n }) => ({
    content: [{ type: 'text', text: String(n * 2) }],
  }));
  return server;
}

/** A transport factory for ServerConnection: every connect attempt gets a fresh server and linked pair. */
export function inMemoryFactory(): { factory: () => Transport; servers: McpServer[] } {
  const servers: McpServer[] = [];
  const factory = (): Transport => {
    const server = doubleServer();
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    void server.connect(serverSide);
    servers.push(server);
    return clientSide;
  };
  return { factory, servers };
}

/** A ServerConnection config for in-memory use (the command is never run). */
export function inMemoryConfig(name: string): ServerConfig {
  return { name, transport: 'stdio', command: 'in-memory' };
}

/** The SDK Client's options for the era probe ServerConnection sends by default (`server/discover`, then `initialize`). */
const PROBING = { capabilities: {}, versionNegotiation: { mode: 'auto' } } as const;

/**
 * A raw SDK Client connected to its own in-memory server: the SDK's default handshake (2025
 * `initialize` only), or with `probe` the era negotiation a ServerConnection does by default.
 */
export async function rawClient(probe = false): Promise<{ client: Client; close: () => Promise<void> }> {
  const server = doubleServer();
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'bench-raw', version: '1.0.0' }, probe ? PROBING : { capabilities: {} });
  await client.connect(clientSide);
  return {
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/** Throws unless the result is the expected `42` (keeps every variant honest about doing the work). */
export function check(result: unknown): void {
  const first = (result as CallToolResult).content[0];
  if (first?.type !== 'text' || first.text !== '42') throw new Error('unexpected tool result');
}
