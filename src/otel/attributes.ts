import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { Attributes } from '@opentelemetry/api';
import type { ServerConnection } from '../actors/ServerConnection.js';
import type { ErrorSummary } from '../events/RuntimeEvent.js';
import { GuardedSseTransport } from '../transports/GuardedSseTransport.js';
import { StdioProcessTransport } from '../transports/StdioProcessTransport.js';

/** Attribute names of the OpenTelemetry MCP semantic conventions (GenAI, development status). */
export const ATTR = {
  method: 'mcp.method.name',
  protocolVersion: 'mcp.protocol.version',
  sessionId: 'mcp.session.id',
  toolName: 'gen_ai.tool.name',
  operation: 'gen_ai.operation.name',
  agentName: 'gen_ai.agent.name',
  errorType: 'error.type',
  rpcStatus: 'rpc.response.status_code',
  networkTransport: 'network.transport',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  // azcore's own, for what the conventions have no name for.
  server: 'azcore.server.name',
  errorKind: 'azcore.error.kind',
  attempts: 'azcore.call.attempts',
  listCount: 'azcore.list.count',
  authStep: 'azcore.auth.step',
  authExpiresAt: 'azcore.auth.expires_at',
} as const;

/** Bucket boundaries (seconds) the conventions prescribe for the MCP duration histograms. */
export const DURATION_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

/**
 * `error.type` of a failure: the JSON-RPC error code when the server answered one (`MCP_-32602` ->
 * `-32602`, as the conventions ask), else azcore's low-cardinality code (`CONNECTION_CLOSED`,
 * `REQUEST_TIMEOUT`, `CIRCUIT_OPEN`, `HTTP_503`...).
 */
export function errorAttributes(error: ErrorSummary): Attributes {
  const rpc = /^MCP_(-?\d+)$/.exec(error.code)?.[1];
  return rpc !== undefined
    ? { [ATTR.errorType]: rpc, [ATTR.rpcStatus]: rpc, [ATTR.errorKind]: error.kind }
    : { [ATTR.errorType]: error.code || '_OTHER', [ATTR.errorKind]: error.kind };
}

/**
 * What the live connection says about itself: protocol revision, transport (`pipe` for stdio, `tcp`
 * for HTTP), the server's address and port, and the 2025 HTTP session id. Read from the transport
 * the connection uses now; a custom transport (transportFactory) gives only the protocol version.
 */
export function connectionAttributes(connection: ServerConnection | undefined): {
  span: Attributes;
  metric: Attributes;
} {
  const metric: Attributes = {};
  const span: Attributes = metric;
  if (!connection) return { span, metric };
  const version = connection.protocol?.version;
  if (version) metric[ATTR.protocolVersion] = version;
  const transport = connection.session.client?.transport;
  if (transport instanceof StdioProcessTransport) {
    metric[ATTR.networkTransport] = 'pipe';
    return { span, metric };
  }
  const http =
    transport instanceof GuardedSseTransport
      ? transport.sdkTransport
      : transport instanceof StreamableHTTPClientTransport
        ? transport
        : undefined;
  if (!http) return { span, metric };
  metric[ATTR.networkTransport] = 'tcp';
  // The SDK keeps the endpoint in a field it does not declare public: read it defensively.
  const url = (http as unknown as { _url?: unknown })._url;
  if (url instanceof URL) {
    metric[ATTR.serverAddress] = url.hostname.replace(/^\[(.*)\]$/, '$1');
    metric[ATTR.serverPort] = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  }
  const sessionId = http instanceof StreamableHTTPClientTransport ? http.sessionId : undefined;
  return sessionId ? { span: { ...metric, [ATTR.sessionId]: sessionId }, metric } : { span, metric };
}
