// SDK v2 local failures (SdkError with a string code), each produced by a real trigger: a server
// process that dies, a closed client, a peer that pages forever or sends malformed results. Where
// the SDK has no trigger for a code (SEND_FAILED from a client), the error is constructed and
// the test says so.
import { Client, SdkError, SdkErrorCode } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterEach, describe, expect, it } from 'vitest';
import { stdioFixture } from '../fixtures/index.js';
import { expectClassified, rejectionOf } from './expectClassified.js';
import { scriptedPeer } from './scriptedPeer.js';

const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

function newClient(options: ConstructorParameters<typeof Client>[1] = {}): Client {
  const client = new Client({ name: 'azcore-test', version: '0.0.0' }, options);
  clients.push(client);
  return client;
}

describe('a closed connection', () => {
  it('CONNECTION_CLOSED: the server exits in the middle of a request (fixture `crash` tool)', async () => {
    const client = newClient();
    await client.connect(new StdioClientTransport({ ...stdioFixture(), stderr: 'ignore' }));
    const e = await rejectionOf(client.callTool({ name: 'crash', arguments: {} }));
    expect(e).toBeInstanceOf(SdkError);
    expect(e).toMatchObject({ code: SdkErrorCode.ConnectionClosed, message: 'Connection closed' });
    expectClassified(e, {
      kind: 'connection',
      code: 'CONNECTION_CLOSED',
      retryable: true,
      says: /connection closed before the server replied\. The server process or stream ended; the runtime reconnects/,
    });
  });

  it('NOT_CONNECTED: a notification after the server died (v2 raises SdkError here, a plain Error for requests)', async () => {
    const client = newClient({ capabilities: { roots: { listChanged: true } } });
    await client.connect(new StdioClientTransport({ ...stdioFixture(), stderr: 'ignore' }));
    await rejectionOf(client.callTool({ name: 'crash', arguments: {} }));
    const e = await rejectionOf(client.sendRootsListChanged());
    expect(e).toBeInstanceOf(SdkError);
    expect(e).toMatchObject({ code: SdkErrorCode.NotConnected, message: 'Not connected' });
    expectClassified(e, {
      kind: 'connection',
      code: 'NOT_CONNECTED',
      retryable: true,
      says: /connection to the server is closed\. The runtime reconnects on its own; retry after it is ready/,
    });
    // The request path of the same client still throws the v1-style plain Error.
    const request = await rejectionOf(client.callTool({ name: 'echo', arguments: { text: 'x' } }));
    expect(request).not.toBeInstanceOf(SdkError);
    expectClassified(request, {
      kind: 'connection',
      code: 'NOT_CONNECTED',
      retryable: true,
      says: /connection to the server is closed/,
    });
  });

  it('NOT_CONNECTED: StdioClientTransport.send() after close', async () => {
    const transport = new StdioClientTransport({ ...stdioFixture(), stderr: 'ignore' });
    await newClient().connect(transport);
    await transport.close();
    const e = await rejectionOf(transport.send({ jsonrpc: '2.0', id: 1, method: 'ping' }));
    expect(e).toMatchObject({ code: SdkErrorCode.NotConnected });
    expectClassified(e, {
      kind: 'connection',
      code: 'NOT_CONNECTED',
      retryable: true,
      says: /closed\. The runtime reconnects/,
    });
  });
});

describe('results the client cannot use', () => {
  it('LIST_PAGINATION_EXCEEDED: a server whose tools/list always has a next page', async () => {
    const transport = await scriptedPeer({
      'tools/list': (params) => {
        const page = Number(params.cursor ?? 0);
        return {
          result: {
            tools: [{ name: `tool${page}`, inputSchema: { type: 'object' } }],
            nextCursor: String(page + 1),
          },
        };
      },
    });
    const client = newClient({ listMaxPages: 4 });
    await client.connect(transport);
    const e = await rejectionOf(client.listTools());
    expect(e).toBeInstanceOf(SdkError);
    expect(e).toMatchObject({
      code: SdkErrorCode.ListPaginationExceeded,
      data: { method: 'tools/list', listMaxPages: 4 },
    });
    expectClassified(e, {
      kind: 'resource',
      code: 'LIST_PAGINATION_EXCEEDED',
      retryable: false,
      says: /list never ended: tools\/list: exceeded listMaxPages \(4\).*keeps returning a next cursor; report it to the server author/,
    });
  });

  it('INVALID_RESULT: a tools/call result whose content is not an array', async () => {
    const transport = await scriptedPeer({
      'tools/call': () => ({ result: { content: 'not an array' } }),
    });
    const client = newClient();
    await client.connect(transport);
    const e = await rejectionOf(client.callTool({ name: 'anything', arguments: {} }));
    expect(e).toBeInstanceOf(SdkError);
    expect((e as SdkError).code).toBe(SdkErrorCode.InvalidResult);
    expect((e as Error).message.split('\n').length).toBeGreaterThan(1); // the SDK's text is zod's JSON
    expectClassified(e, {
      kind: 'protocol',
      code: 'MALFORMED',
      retryable: false,
      says: /malformed result: Invalid result for tools\/call: content: Invalid input: expected array, received string\. The server broke the MCP message format/,
    });
  });

  it('INVALID_RESULT: several problems are summarized on one line', async () => {
    const transport = await scriptedPeer(
      {
        'prompts/list': () => ({ result: { prompts: [{ name: 1 }, { name: 2 }, { name: 3 }, { name: 4 }] } }),
      },
      { prompts: {} },
    );
    const client = newClient();
    await client.connect(transport);
    const e = await rejectionOf(client.listPrompts());
    expect((e as SdkError).code).toBe(SdkErrorCode.InvalidResult);
    const typed = expectClassified(e, {
      kind: 'protocol',
      code: 'MALFORMED',
      retryable: false,
      says: /Invalid result for prompts\/list: prompts\.0\.name: .*; prompts\.1\.name: .*; prompts\.2\.name: .* \(and 1 more\)\. The server broke/,
    });
    expect(typed.message).not.toContain('\n');
  });

  it('CAPABILITY_NOT_SUPPORTED: a strict client asks for prompts the server does not offer', async () => {
    const client = newClient({ enforceStrictCapabilities: true });
    const transport = await scriptedPeer({}, { tools: {} });
    await client.connect(transport);
    const e = await rejectionOf(client.listPrompts());
    expect(e).toBeInstanceOf(SdkError);
    expect((e as SdkError).code).toBe(SdkErrorCode.CapabilityNotSupported);
    expectClassified(e, {
      kind: 'protocol',
      code: 'CAPABILITY_NOT_SUPPORTED',
      retryable: false,
      says: /does not offer this capability: Server does not support prompts \(required for prompts\/list\)\. Check the server's capabilities/,
    });
  });
});

describe('SEND_FAILED (constructed: SDK 2.4 raises it only server-side, for embedded input requests)', () => {
  it('with an errno cause it is that network failure', () => {
    const cause = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    const e = new SdkError(SdkErrorCode.SendFailed, 'Failed to send', undefined, { cause });
    expectClassified(e, {
      kind: 'connection',
      code: 'EPIPE',
      retryable: true,
      says: /could not be reached \(EPIPE\)/,
    });
  });

  it('without one it says the request was not delivered', () => {
    const e = new SdkError(SdkErrorCode.SendFailed, 'Failed to send\nmore');
    expectClassified(e, {
      kind: 'connection',
      code: 'SEND_FAILED',
      retryable: true,
      says: /could not be sent: Failed to send\. The runtime reconnects on its own; the request was not delivered/,
    });
  });
});
