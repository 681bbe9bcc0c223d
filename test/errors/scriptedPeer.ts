// A 2025-era MCP peer that answers with exactly the JSON-RPC a test scripts, over the SDK's own
// InMemoryTransport pair (both halves from @modelcontextprotocol/client). It plays servers that
// a real McpServer refuses to be: one that pages forever, one that sends malformed results.
import { InMemoryTransport, type JSONRPCMessage } from '@modelcontextprotocol/client';

/** What the peer answers a request with: a result, or a JSON-RPC error. */
export type Answer = { result: Record<string, unknown> } | { error: { code: number; message: string } };

/** Answers per method; `initialize` is answered for you with the capabilities given. */
export type Script = Record<string, (params: Record<string, unknown>) => Answer>;

/** The client half of a linked pair whose other half follows `script`. */
export async function scriptedPeer(
  script: Script,
  capabilities: Record<string, unknown> = { tools: {} },
): Promise<InMemoryTransport> {
  const [clientSide, peer] = InMemoryTransport.createLinkedPair();
  peer.onmessage = (message: JSONRPCMessage) => {
    if (!('id' in message) || !('method' in message)) return;
    const params = (message.params ?? {}) as Record<string, unknown>;
    const answer: Answer =
      message.method === 'initialize'
        ? {
            result: {
              protocolVersion: params.protocolVersion,
              capabilities,
              serverInfo: { name: 'scripted-peer', version: '1.0.0' },
            },
          }
        : (script[message.method]?.(params) ?? {
            error: { code: -32601, message: `Method not found: ${message.method}` },
          });
    void peer.send({ jsonrpc: '2.0', id: message.id, ...answer } as JSONRPCMessage);
  };
  await peer.start();
  return clientSide;
}
