// Protocol-era failures, each triggered for real: a v2 server that serves only 2026-07-28
// (createMcpHandler with legacy: 'reject', over HTTP on 127.0.0.1) and our v1 fixture servers,
// met by v2 Clients that are pinned, legacy-only or offer a version nobody speaks.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Client,
  ProtocolError,
  ResourceNotFoundError,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  StreamableHTTPClientTransport,
  UnsupportedProtocolVersionError,
} from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, type McpHttpHandler, McpServer } from '@modelcontextprotocol/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTransport, type TransportHandle } from '../../src/transports/index.js';
import { type HttpFixture, startHttpFixture, stdioFixture, stopAllFixtures } from '../fixtures/index.js';
import { expectClassified, rejectionOf, SERVER } from './expectClassified.js';

const PIN = { versionNegotiation: { mode: { pin: '2026-07-28' } } } as const;

const clients: Client[] = [];
const handles: TransportHandle[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(handles.splice(0).map((h) => h.close()));
});
afterAll(stopAllFixtures);

function newClient(options: ConstructorParameters<typeof Client>[1] = {}): Client {
  const client = new Client({ name: 'azcore-test', version: '0.0.0' }, options);
  clients.push(client);
  return client;
}

describe('a v2 server that serves only 2026-07-28', () => {
  let handler: McpHttpHandler;
  let http: Server;
  let url: URL;
  beforeAll(async () => {
    handler = createMcpHandler(
      () => {
        const server = new McpServer({ name: 'modern', version: '1.0.0' });
        server.registerTool('echo', { description: 'echo' }, async () => ({
          content: [{ type: 'text', text: 'echo' }],
        }));
        server.registerResource('a', 'mem://a', {}, async () => ({
          contents: [{ uri: 'mem://a', text: 'a' }],
        }));
        return server;
      },
      { legacy: 'reject' },
    );
    http = createServer(toNodeHandler(handler));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
  });
  afterAll(async () => {
    await handler.close();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });

  const connectModern = async (): Promise<Client> => {
    const client = newClient(PIN);
    await client.connect(new StreamableHTTPClientTransport(url));
    expect(client.getProtocolEra()).toBe('modern');
    return client;
  };

  it('METHOD_NOT_SUPPORTED_BY_PROTOCOL_VERSION: ping() is refused locally on a 2026-07-28 connection', async () => {
    const client = await connectModern();
    const e = await rejectionOf(client.ping());
    expect(e).toBeInstanceOf(SdkError);
    expect(e).toMatchObject({
      code: SdkErrorCode.MethodNotSupportedByProtocolVersion,
      data: { method: 'ping', era: '2026-07-28' },
    });
    expectClassified(e, {
      kind: 'protocol',
      code: 'METHOD_NOT_SUPPORTED_BY_PROTOCOL_VERSION',
      retryable: false,
      says: /era has no such method: Method 'ping' is not supported .*2026-07-28.*client\.discover\(\) checks liveness.*`protocolVersion: 'legacy'`/,
    });
    // What the hint offers instead works on the same connection.
    await expect(client.discover()).resolves.toMatchObject({ supportedVersions: ['2026-07-28'] });
  });

  it('UnsupportedProtocolVersionError (-32022 with data): a client that offers only 2099-01-01', async () => {
    const client = newClient({
      supportedProtocolVersions: ['2099-01-01'],
      versionNegotiation: { mode: 'auto' },
    });
    const e = await rejectionOf(client.connect(new StreamableHTTPClientTransport(url)));
    expect(e).toBeInstanceOf(UnsupportedProtocolVersionError);
    expect(e).toMatchObject({ code: -32022, requested: '2099-01-01', supported: ['2026-07-28'] });
    expectClassified(e, {
      kind: 'protocol',
      code: 'PROTOCOL_VERSION',
      retryable: false,
      says: /does not support the requested protocol version: Unsupported protocol version: 2099-01-01\. It supports 2026-07-28\. Set `protocolVersion` in the server config to 'auto'/,
    });
  });

  it('HTTP 400 carrying -32022: a 2025-era client (the v2 default) against legacy: "reject"', async () => {
    const e = await rejectionOf(newClient().connect(new StreamableHTTPClientTransport(url)));
    // The 2025-era transport reports the refusal as an HTTP error, not as a ProtocolError.
    expect(e).toBeInstanceOf(SdkHttpError);
    expect(e).toMatchObject({ status: 400 });
    expect((e as SdkHttpError).message).toMatch(/-32022/);
    expectClassified(e, {
      kind: 'protocol',
      code: 'PROTOCOL_VERSION',
      retryable: false,
      says: /Unsupported protocol version: 2025-11-25 \(HTTP 400\)\. It supports 2026-07-28\. Set `protocolVersion` in the server config to 'auto'/,
    });
  });

  it('-32602 for an unknown tool (v1 servers answered with an isError result)', async () => {
    const client = await connectModern();
    const e = await rejectionOf(client.callTool({ name: 'nope', arguments: {} }));
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e).toMatchObject({ code: -32602, message: 'Tool nope not found' });
    expectClassified(e, {
      kind: 'input',
      code: 'UNKNOWN_TOOL',
      retryable: false,
      says: /has no such tool: Tool nope not found\. Check the tool name against listTools/,
    });
  });

  it('ResourceNotFoundError (-32602 with data.uri) for an unknown resource', async () => {
    const client = await connectModern();
    const e = await rejectionOf(client.readResource({ uri: 'mem://missing' }));
    expect(e).toBeInstanceOf(ResourceNotFoundError);
    expect(e).toMatchObject({ code: -32602, data: { uri: 'mem://missing' } });
    expectClassified(e, {
      kind: 'input',
      code: 'RESOURCE_NOT_FOUND',
      retryable: false,
      says: /has no such resource: Resource not found: mem:\/\/missing\. Check the URI against listResources/,
    });
  });
});

describe('ERA_NEGOTIATION_FAILED: a client pinned to 2026-07-28 against a 2025-only (v1 SDK) server', () => {
  const eraFailed = {
    kind: 'protocol',
    code: 'ERA_NEGOTIATION_FAILED',
    retryable: false,
    says: /No MCP protocol era both sides speak: Version negotiation failed: .*pinned protocol version 2026-07-28.*Set `protocolVersion` to 'auto'/,
  } as const;

  it('over stdio, the SDK transport (probe on a sibling process)', async () => {
    const transport = new StdioClientTransport({ ...stdioFixture(), stderr: 'ignore' });
    const e = await rejectionOf(newClient(PIN).connect(transport));
    await transport.close();
    expect(e).toBeInstanceOf(SdkError);
    expect((e as SdkError).code).toBe(SdkErrorCode.EraNegotiationFailed);
    expectClassified(e, eraFailed);
  });

  it('over stdio, our StdioProcessTransport (probe in place)', async () => {
    const handle = createTransport({ name: SERVER, transport: 'stdio', ...stdioFixture() });
    handles.push(handle);
    const e = await rejectionOf(newClient(PIN).connect(handle.transport));
    expect((e as SdkError).code).toBe(SdkErrorCode.EraNegotiationFailed);
    expectClassified(e, eraFailed);
  });

  it('over Streamable HTTP', async () => {
    const fixture = await startHttpFixture();
    const e = await rejectionOf(newClient(PIN).connect(new StreamableHTTPClientTransport(fixture.url)));
    expect((e as SdkError).code).toBe(SdkErrorCode.EraNegotiationFailed);
    expectClassified(e, eraFailed);
  });
});

describe('the stdio probe fails for a reason that is not the era', () => {
  const closedDuringProbe = {
    kind: 'connection',
    code: 'CONNECTION_CLOSED',
    retryable: true,
    says: /connection closed during the protocol era probe\. The server ended before answering; check its stderr/,
  } as const;

  it('a server that exits at start, SDK transport: ERA_NEGOTIATION_FAILED naming the closed connection', async () => {
    const transport = new StdioClientTransport({
      ...stdioFixture({ faults: ['exit-immediately'] }),
      stderr: 'ignore',
    });
    const e = await rejectionOf(newClient(PIN).connect(transport));
    await transport.close();
    expect(e).toMatchObject({ code: SdkErrorCode.EraNegotiationFailed });
    expect((e as Error).message).toMatch(/connection closed during the server\/discover probe/);
    expectClassified(e, closedDuringProbe);
  });

  it('a server that exits at start, our StdioProcessTransport: the same', async () => {
    const handle = createTransport({
      name: SERVER,
      transport: 'stdio',
      ...stdioFixture({ faults: ['exit-immediately'] }),
    });
    handles.push(handle);
    const e = await rejectionOf(newClient(PIN).connect(handle.transport));
    expect(e).toMatchObject({ code: SdkErrorCode.EraNegotiationFailed });
    // Ours is stdio-shaped (`pid` and `stderr`), so the SDK probes in place and names the close.
    expect((e as Error).message).toMatch(/connection closed during the server\/discover probe/);
    expectClassified(e, closedDuringProbe);
  });

  it('a server that ignores the probe, our StdioProcessTransport: silence on stdio means 2025, the SDK falls back to initialize', async () => {
    const handle = createTransport({
      name: SERVER,
      transport: 'stdio',
      ...stdioFixture({ faults: ['ignore-discover'] }),
    });
    handles.push(handle);
    const client = newClient({ versionNegotiation: { mode: 'auto', probe: { timeoutMs: 50 } } });
    await client.connect(handle.transport, { timeout: 10_000 });
    expect(client.getProtocolEra()).toBe('legacy');
    await client.close();
  });
});

describe('the HTTP probe fails for a reason that is not the era', () => {
  let fixture: HttpFixture | undefined;
  afterEach(() => fixture?.stop());
  const probe = (target: URL) =>
    rejectionOf(newClient(PIN).connect(new StreamableHTTPClientTransport(target)));

  it('a closed port: ERA_NEGOTIATION_FAILED whose cause is fetch ECONNREFUSED is an outage', async () => {
    fixture = await startHttpFixture();
    await fixture.stop();
    const e = await probe(fixture.url);
    expect(e).toMatchObject({ code: SdkErrorCode.EraNegotiationFailed });
    expect((e as Error).message).toMatch(/probe failed: fetch failed/);
    expectClassified(e, {
      kind: 'connection',
      code: 'ECONNREFUSED',
      retryable: true,
      says: /could not be reached \(ECONNREFUSED\)\. Check that it is running/,
    });
  });

  it('HTTP 500 on the probe: SdkHttpError ERA_NEGOTIATION_FAILED with status 500 is a server failure', async () => {
    fixture = await startHttpFixture({ faults: ['status-500'] });
    const e = await probe(fixture.url);
    expect(e).toBeInstanceOf(SdkHttpError);
    expect(e).toMatchObject({ code: SdkErrorCode.EraNegotiationFailed, status: 500 });
    expectClassified(e, {
      kind: 'connection',
      code: 'HTTP_500',
      retryable: true,
      says: /failed with HTTP 500\. Retried with backoff/,
    });
  });

  it('HTTP 401 on the probe: CLIENT_HTTP_AUTHENTICATION is auth, never an era verdict', async () => {
    fixture = await startHttpFixture({ faults: ['require-token=secret'] });
    const e = await probe(fixture.url);
    expect(e).toMatchObject({ code: SdkErrorCode.ClientHttpAuthentication, status: 401 });
    expectClassified(e, {
      kind: 'auth',
      code: 'HTTP_401',
      retryable: false,
      says: /rejected the credentials \(401\)\. Check the token/,
    });
  });

  it('HTTP 403 on the probe: CLIENT_HTTP_FORBIDDEN is auth', async () => {
    fixture = await startHttpFixture({ faults: ['forbid'] });
    const e = await probe(fixture.url);
    expect(e).toMatchObject({ code: SdkErrorCode.ClientHttpForbidden, status: 403 });
    expectClassified(e, {
      kind: 'auth',
      code: 'HTTP_403',
      retryable: false,
      says: /forbidden \(403\)\. Check the token/,
    });
  });
});
