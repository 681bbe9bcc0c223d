// Every mapping of classifyError, each triggered for real where the fault can be produced:
// real processes, real sockets, the real SDK Client. Constructed errors only where no real
// trigger exists on this machine (EMFILE, an unknown errno, a non-Error throw...).
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OAuthClientProvider } from '@modelcontextprotocol/client';
import {
  Client,
  ProtocolError,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  SSEClientTransport,
  SseError,
  StreamableHTTPClientTransport,
  UnauthorizedError,
} from '@modelcontextprotocol/client';
import { EmptyResultSchema } from '@modelcontextprotocol/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CancelledError } from '../../src/errors/CancelledError.js';
import { classifyError, RESULT_TOO_LARGE_CODE } from '../../src/errors/classifyError.js';
import { TimeoutError } from '../../src/errors/TimeoutError.js';
import { closeAll, connect, rawResponder } from '../transports/helpers.js';
import { type Expected, expectClassified, rejectionOf, SERVER, sent } from './expectClassified.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'azcore-classify-'));
});
afterEach(closeAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

async function closedPort(): Promise<number> {
  const server = createHttpServer();
  const port = await listen(server);
  await stop(server);
  return port;
}

describe('spawn errors (child_process)', () => {
  const spawnError = (command: string) =>
    new Promise<Error>((resolve) => spawn(command, [], { stdio: 'ignore' }).once('error', resolve));

  it('ENOENT: a missing command is a permanent ConnectionError naming it', async () => {
    expectClassified(await spawnError('azcore-missing-binary'), {
      kind: 'connection',
      code: 'ENOENT',
      retryable: false,
      says: /"azcore-missing-binary" was not found\. Install it or fix `command`/,
    });
  });

  it('EACCES: a file without the execute bit', async () => {
    const file = join(dir, 'plain.sh');
    writeFileSync(file, '#!/bin/sh\n');
    chmodSync(file, 0o644);
    expectClassified(await spawnError(file), {
      kind: 'connection',
      code: 'EACCES',
      retryable: false,
      says: /is not executable\. Check its file permissions \(chmod \+x\)/,
    });
  });
});

describe('fetch and sockets', () => {
  it('ECONNREFUSED: fetch to a closed 127.0.0.1 port', async () => {
    const port = await closedPort();
    const e = await rejectionOf(fetch(`http://127.0.0.1:${port}/`));
    expectClassified(e, {
      kind: 'connection',
      code: 'ECONNREFUSED',
      retryable: true,
      says: /could not be reached \(ECONNREFUSED\)\. Check that it is running and the URL is right/,
    });
  });

  it('HPE_*: a port that speaks something other than HTTP', async () => {
    const garbage = createNetServer((socket) =>
      socket.once('data', () => socket.end('SSH-2.0-nope\r\n\r\n')),
    );
    await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = garbage.address() as AddressInfo;
      const e = await rejectionOf(fetch(`http://127.0.0.1:${port}/`));
      expectClassified(e, {
        kind: 'protocol',
        code: 'HPE_INVALID_CONSTANT',
        retryable: false,
        says: /could not be parsed .*not another kind of service/,
      });
    } finally {
      await new Promise((resolve) => garbage.close(resolve));
    }
  });

  it('AbortError: fetch with an aborted signal is a cancellation', async () => {
    const controller = new AbortController();
    controller.abort();
    const e = await rejectionOf(fetch('http://127.0.0.1:9/', { signal: controller.signal }));
    expectClassified(e, {
      kind: 'cancelled',
      code: 'CANCELLED',
      retryable: false,
      says: /cancelled.*not retried/,
    });
  });

  it('"fetch failed" without an errno cause', () => {
    expectClassified(new TypeError('fetch failed'), {
      kind: 'connection',
      code: 'FETCH_FAILED',
      retryable: true,
      says: /before a response arrived\. Check the URL, the network and any proxy/,
    });
  });
});

describe('HTTP statuses through the SDK StreamableHTTPClientTransport', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
      const path = req.url ?? '/';
      if (path === '/text') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
      if (path === '/session') {
        return void res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(
            '{"jsonrpc":"2.0","error":{"code":-32000,"message":"Bad Request: No valid session ID provided"},"id":null}',
          );
      }
      if (path.startsWith('/.well-known/')) return void res.writeHead(404).end();
      const status = Number(/^\/(\d{3})/.exec(path)?.[1] ?? 500);
      const headers = status === 401 ? { 'www-authenticate': 'Bearer error="invalid_token"' } : {};
      res.writeHead(status, headers).end(`status ${status}`);
    });
    base = `http://127.0.0.1:${await listen(server)}`;
  });
  afterAll(() => stop(server));

  const connectTo = (path: string, authProvider?: OAuthClientProvider) =>
    rejectionOf(
      new Client({ name: 't', version: '0' }).connect(
        new StreamableHTTPClientTransport(new URL(`${base}${path}`), authProvider ? { authProvider } : {}),
      ),
    );

  const cases: [number | string, Expected][] = [
    [
      401,
      {
        kind: 'auth',
        code: 'HTTP_401',
        retryable: false,
        says: /rejected the credentials \(401\)\. Check the token/,
      },
    ],
    [403, { kind: 'auth', code: 'HTTP_403', retryable: false, says: /forbidden \(403\)\. Check the token/ }],
    [
      404,
      {
        kind: 'connection',
        code: 'SESSION_EXPIRED',
        retryable: true,
        says: /no longer knows this session \(404\)\. The runtime re-initializes/,
      },
    ],
    [
      'session',
      {
        kind: 'connection',
        code: 'SESSION_EXPIRED',
        retryable: true,
        says: /session \(400\)\. The runtime re-initializes/,
      },
    ],
    [
      429,
      {
        kind: 'resource',
        code: 'HTTP_429',
        retryable: true,
        says: /rate limiting requests \(429\)\. Slow down/,
      },
    ],
    [
      500,
      {
        kind: 'connection',
        code: 'HTTP_500',
        retryable: true,
        says: /failed with HTTP 500\. Retried with backoff/,
      },
    ],
    [503, { kind: 'connection', code: 'HTTP_503', retryable: true, says: /failed with HTTP 503/ }],
    [
      408,
      {
        kind: 'timeout',
        code: 'HTTP_408',
        retryable: true,
        says: /timed out \(408\)\. Retried; raise the server or gateway timeout/,
      },
    ],
    [504, { kind: 'timeout', code: 'HTTP_504', retryable: true, says: /timed out \(504\)/ }],
    [
      418,
      {
        kind: 'protocol',
        code: 'HTTP_418',
        retryable: false,
        says: /answered HTTP 418\. Check that the URL points at an MCP endpoint/,
      },
    ],
  ];
  for (const [status, want] of cases) {
    it(`${status}`, async () => {
      const e = await connectTo(`/${status}`);
      // v1: StreamableHTTPError with the status in `.code`; v2: SdkHttpError with `.status`.
      expect(e).toBeInstanceOf(SdkHttpError);
      expect((e as SdkHttpError).status).toBe(status === 'session' ? 400 : status);
      expectClassified(e, want);
    });
  }

  it('a 200 that is neither JSON nor an event stream', async () => {
    const e = await connectTo('/text');
    expect(e).toBeInstanceOf(SdkError);
    expect((e as SdkError).code).toBe(SdkErrorCode.ClientHttpUnexpectedContent);
    expectClassified(e, {
      kind: 'protocol',
      code: 'HTTP_TRANSPORT',
      retryable: false,
      says: /Unexpected content type: text\/plain.*Check that the URL points at an MCP Streamable HTTP endpoint/,
    });
  });

  it('UnauthorizedError: a 401 the authProvider cannot satisfy (it must redirect a user)', async () => {
    const provider: OAuthClientProvider = {
      get redirectUrl() {
        return 'http://127.0.0.1/callback';
      },
      get clientMetadata() {
        return { redirect_uris: ['http://127.0.0.1/callback'] };
      },
      clientInformation: () => ({ client_id: 'azcore-test' }),
      tokens: () => undefined,
      saveTokens: () => {},
      redirectToAuthorization: () => {},
      saveCodeVerifier: () => {},
      codeVerifier: () => 'verifier',
    };
    const e = await connectTo('/401', provider);
    expect(e).toBeInstanceOf(UnauthorizedError);
    expectClassified(e, {
      kind: 'auth',
      code: 'UNAUTHORIZED',
      retryable: false,
      says: /auth provider could not supply it\. Check the authProvider/,
    });
  });

  it('SSE: an HTTP status on the event stream (SseError with a code)', async () => {
    const transport = new SSEClientTransport(new URL(`${base}/401`));
    const e = await rejectionOf(transport.start());
    await transport.close();
    expect(e).toBeInstanceOf(SseError);
    expectClassified(e, {
      kind: 'auth',
      code: 'HTTP_401',
      retryable: false,
      says: /\(401\)\. Check the token/,
    });
  });

  it('SSE: a network failure of the event stream (SseError without a code, errno only in the text)', async () => {
    const transport = new SSEClientTransport(new URL(`http://127.0.0.1:${await closedPort()}/sse`));
    const e = await rejectionOf(transport.start());
    await transport.close();
    expectClassified(e, {
      kind: 'connection',
      code: 'ECONNREFUSED',
      retryable: true,
      says: /could not be reached/,
    });
  });

  it('SSE: a stream that dropped without an errno', () => {
    const e = new SseError(undefined, 'TypeError: terminated: other side closed', {
      type: 'error',
      message: 'terminated',
      code: undefined,
    } as unknown as ConstructorParameters<typeof SseError>[2]);
    expectClassified(e, {
      kind: 'connection',
      code: 'SSE_STREAM',
      retryable: true,
      says: /SSE stream failed.*Check that the server is running/,
    });
  });
});

// SDK v2 raises its local failures as SdkError with a string code where v1 used McpError
// -32001/-32000; each keeps the kind and retryability its v1 equivalent had.
describe('the SDK Client over stdio (rawResponder)', () => {
  it('REQUEST_TIMEOUT with data.timeout (v1: McpError -32001): no reply within the timeout', async () => {
    const { client } = await connect(rawResponder(SERVER));
    const e = await rejectionOf(client.callTool({ name: 'hang', arguments: {} }, { timeout: 50 }));
    expect(e).toBeInstanceOf(SdkError);
    expect(e).toMatchObject({ code: SdkErrorCode.RequestTimeout, data: { timeout: 50 } });
    const typed = expectClassified(e, {
      kind: 'timeout',
      code: 'REQUEST_TIMEOUT',
      retryable: true,
      says: /did not reply within 50 ms\. Raise the timeout/,
    });
    expect((typed as TimeoutError).timeoutMs).toBe(50);
  });

  it('REQUEST_TIMEOUT without data (v1: -32001) when aborted with a CancelledError reason: the reason comes back, naming the server', async () => {
    const { client } = await connect(rawResponder(SERVER));
    const controller = new AbortController();
    const call = rejectionOf(client.callTool({ name: 'hang', arguments: {} }, { signal: controller.signal }));
    const reason = new CancelledError('The user stopped the run.', { hint: 'Start it again when ready.' });
    controller.abort(reason);
    const e = await call;
    expect(e).toBeInstanceOf(SdkError);
    expect((e as SdkError).code).toBe(SdkErrorCode.RequestTimeout);
    expect((e as SdkError).data).toBeUndefined(); // what tells an abort from a timeout
    const typed = expectClassified(
      e,
      { kind: 'cancelled', code: 'CANCELLED', retryable: false, says: /stopped the run\. Start it again/ },
      { signal: controller.signal },
    );
    expect(typed).toBeInstanceOf(CancelledError);
    // Without the signal, the missing data.timeout still tells a cancel from a timeout.
    expectClassified(e, {
      kind: 'cancelled',
      code: 'CANCELLED',
      retryable: false,
      says: /cancelled by its caller\. Nothing to fix unless the cancel was unexpected/,
    });
  });

  it('REQUEST_TIMEOUT without data, aborted with a TimeoutError reason (a Deadline ran out)', async () => {
    const { client } = await connect(rawResponder(SERVER));
    const controller = new AbortController();
    const call = rejectionOf(client.callTool({ name: 'hang', arguments: {} }, { signal: controller.signal }));
    controller.abort(
      new TimeoutError('Step "turn" ran out of its 100 ms budget.', { step: 'turn', timeoutMs: 100 }),
    );
    const e = await call;
    expect(e).toMatchObject({ code: SdkErrorCode.RequestTimeout, data: undefined });
    const typed = expectClassified(
      e,
      { kind: 'timeout', code: 'TIMEOUT', retryable: true, says: /ran out of its 100 ms budget/ },
      { signal: controller.signal },
    );
    expect((typed as TimeoutError).step).toBe('turn');
    expectClassified(e, {
      kind: 'timeout',
      code: 'TIMEOUT',
      retryable: true,
      says: /ran out of time\. Raise the deadline/,
    });
  });

  it('REQUEST_TIMEOUT without data, aborted by AbortSignal.timeout (DOMException TimeoutError)', async () => {
    const { client } = await connect(rawResponder(SERVER));
    const signal = AbortSignal.timeout(30);
    const e = await rejectionOf(client.callTool({ name: 'hang', arguments: {} }, { signal }));
    expect(e).toMatchObject({ code: SdkErrorCode.RequestTimeout, data: undefined });
    expectClassified(
      e,
      { kind: 'timeout', code: 'TIMEOUT', retryable: true, says: /ran out of time\. Raise the deadline/ },
      { signal },
    );
    expectClassified(e, { kind: 'timeout', code: 'TIMEOUT', retryable: true, says: /ran out of time/ });
  });

  it('REQUEST_TIMEOUT without data, aborted with no reason, is a cancellation', async () => {
    const { client } = await connect(rawResponder(SERVER));
    const controller = new AbortController();
    const call = rejectionOf(client.callTool({ name: 'hang', arguments: {} }, { signal: controller.signal }));
    controller.abort();
    const e = await call;
    expect(e).toMatchObject({ code: SdkErrorCode.RequestTimeout, data: undefined });
    expect((e as Error).message).toMatch(/AbortError/);
    for (const ctx of [{ signal: controller.signal }, {}]) {
      expectClassified(
        e,
        { kind: 'cancelled', code: 'CANCELLED', retryable: false, says: /cancelled by its caller/ },
        ctx,
      );
    }
  });

  it('"Not connected": a request after close is still a plain Error in v2 (not an SdkError)', async () => {
    const { client } = await connect(rawResponder(SERVER));
    await client.close();
    const e = await rejectionOf(client.callTool({ name: 'hang', arguments: {} }));
    expect(e).not.toBeInstanceOf(SdkError);
    expect((e as Error).message).toBe('Not connected');
    expectClassified(e, {
      kind: 'connection',
      code: 'NOT_CONNECTED',
      retryable: true,
      says: /connection to the server is closed\. The runtime reconnects/,
    });
  });

  it('v2: listTools() after close resolves with no tools instead of rejecting (the capabilities are forgotten)', async () => {
    const { client } = await connect(rawResponder(SERVER));
    await client.close();
    // v1 threw 'Not connected' here. Nothing to classify: callers must not read [] as "no tools".
    expect(await client.listTools()).toEqual({ tools: [] });
  });

  it('CONNECTION_CLOSED (v1: McpError -32000): the server process dies with a request pending', async () => {
    const { client, handle } = await connect(rawResponder(SERVER));
    const onWire = sent(handle.transport, 'tools/call');
    const call = rejectionOf(client.callTool({ name: 'hang', arguments: {} }));
    await onWire;
    process.kill(handle.pid!, 'SIGKILL');
    const e = await call;
    expect(e).toBeInstanceOf(SdkError);
    expect((e as SdkError).code).toBe(SdkErrorCode.ConnectionClosed);
    expectClassified(e, {
      kind: 'connection',
      code: 'CONNECTION_CLOSED',
      retryable: true,
      says: /closed before the server replied\. The server process or stream ended; the runtime reconnects/,
    });
  });

  it('protocol version: the server answers initialize with a version the SDK does not speak', async () => {
    const e = await rejectionOf(connect(rawResponder(SERVER, ['--protocol=1999-01-01'])));
    expect(e).not.toBeInstanceOf(SdkError); // still a plain Error in v2
    expect((e as Error).message).toMatch(/protocol version is not supported: 1999-01-01/);
    expectClassified(e, {
      kind: 'protocol',
      code: 'PROTOCOL_VERSION',
      retryable: false,
      says: /1999-01-01\. Upgrade the server or the client/,
    });
  });

  const rpcErrors: [number, Expected][] = [
    [
      -32000,
      {
        // v1 raised -32000 locally for a closed connection; from a server it is an application error.
        kind: 'tool',
        code: 'MCP_-32000',
        retryable: false,
        says: /reported an application error: error -32000\. The server answered; the model can read/,
      },
    ],
    [
      -32022,
      {
        kind: 'protocol',
        code: 'PROTOCOL_VERSION',
        retryable: false,
        says: /does not support the requested protocol version: error -32022\. Set `protocolVersion`/,
      },
    ],
    [
      -32601,
      {
        kind: 'protocol',
        code: 'MCP_-32601',
        retryable: false,
        says: /does not implement this method.*Check the tool or method name/,
      },
    ],
    [
      -32602,
      {
        kind: 'input',
        code: 'MCP_-32602',
        retryable: false,
        says: /rejected the arguments.*Fix the arguments/,
      },
    ],
    [
      -32603,
      {
        kind: 'protocol',
        code: 'MCP_-32603',
        retryable: true,
        says: /failed internally.*Retried; if it persists/,
      },
    ],
    [
      RESULT_TOO_LARGE_CODE,
      {
        kind: 'resource',
        code: 'RESULT_TOO_LARGE',
        retryable: false,
        says: /larger than .*maxMessageBytes.*raise maxMessageBytes/,
      },
    ],
    [
      -32002,
      {
        kind: 'protocol',
        code: 'MCP_-32002',
        retryable: false,
        says: /returned an error.*See the server's documentation/,
      },
    ],
  ];
  for (const [code, want] of rpcErrors) {
    it(`ProtocolError ${code} sent by the server`, async () => {
      const { client } = await connect(rawResponder(SERVER));
      const e = await rejectionOf(
        client.request(
          { method: 'azcore/error', params: { code, message: `error ${code}` } },
          EmptyResultSchema,
        ),
      );
      expect(e).toBeInstanceOf(ProtocolError);
      expect((e as ProtocolError).code).toBe(code);
      expectClassified(e, want);
    });
  }

  it('ProtocolError -32601 for a method the server does not know', async () => {
    const { client } = await connect(rawResponder(SERVER));
    const e = await rejectionOf(client.request({ method: 'azcore/unknown' }, EmptyResultSchema));
    expect(e).toMatchObject({ code: -32601 });
    expectClassified(e, { kind: 'protocol', code: 'MCP_-32601', retryable: false, says: /Method not found/ });
  });

  it('INVALID_RESULT (v1: $ZodError): a result that does not match the expected schema', async () => {
    const { client } = await connect(rawResponder(SERVER));
    const e = await rejectionOf(client.request({ method: 'ping' }, z.object({ needed: z.string() })));
    expect(e).toBeInstanceOf(SdkError);
    expect((e as SdkError).code).toBe(SdkErrorCode.InvalidResult);
    expectClassified(e, {
      kind: 'protocol',
      code: 'MALFORMED',
      retryable: false,
      says: /malformed result: Invalid result for ping: needed: Invalid input: expected string, received undefined\. The server broke the MCP message format; update or report the server/,
    });
  });
});

describe('everything else', () => {
  it('SyntaxError from JSON.parse is a malformed message', () => {
    let e: unknown;
    try {
      JSON.parse('{"jsonrpc":');
    } catch (error) {
      e = error;
    }
    expectClassified(e, { kind: 'protocol', code: 'MALFORMED', retryable: false, says: /malformed message/ });
  });

  it('resource exhaustion errnos (EMFILE, ENOMEM, EAGAIN)', () => {
    for (const code of ['EMFILE', 'ENOMEM', 'EAGAIN']) {
      const e = Object.assign(new Error(`${code}: too many`), { code });
      expectClassified(e, {
        kind: 'resource',
        code,
        retryable: true,
        says: /ran out of a resource.*ulimit -n/,
      });
    }
  });

  it('undici timeouts mid-response', () => {
    const e = new TypeError('fetch failed', {
      cause: Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' }),
    });
    expectClassified(e, {
      kind: 'timeout',
      code: 'UND_ERR_HEADERS_TIMEOUT',
      retryable: true,
      says: /mid-response/,
    });
  });

  it('an unknown errno', () => {
    const e = Object.assign(new Error('cross-device link'), { code: 'EXDEV' });
    expectClassified(e, {
      kind: 'connection',
      code: 'EXDEV',
      retryable: true,
      says: /system call failed.*Check the server config/,
    });
  });

  it('a non-Error thrown value', () => {
    expectClassified('boom', {
      kind: 'protocol',
      code: 'UNEXPECTED',
      retryable: false,
      says: /non-error value.*report it/,
    });
  });

  it('an unknown Error', () => {
    expectClassified(new Error('something odd\nsecond line'), {
      kind: 'protocol',
      code: 'UNEXPECTED',
      retryable: false,
      says: /Unexpected error: something odd\. Not a known MCP failure/,
    });
  });

  it('typed errors pass through unchanged', () => {
    const typed = new TimeoutError('x', { server: 'other' });
    expect(classifyError(typed, { server: SERVER })).toBe(typed);
  });
});
