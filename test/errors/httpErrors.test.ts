// SdkHttpError and fetch failures over Streamable HTTP in the 2025 era (the v2 Client's default),
// triggered by our v1 HTTP fixture's flags and admin endpoints (test/fixtures/README.md).
import {
  Client,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type HttpFixture, startHttpFixture, stopAllFixtures } from '../fixtures/index.js';
import { Collector } from '../transports/helpers.js';
import { expectClassified, rejectionOf } from './expectClassified.js';

const clients: Client[] = [];
let fixture: HttpFixture | undefined;
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await fixture?.stop();
  fixture = undefined;
});
afterAll(stopAllFixtures);

async function clientFor(faults: string[] = []): Promise<{ client: Client; connecting: Promise<void> }> {
  fixture = await startHttpFixture({ faults });
  const client = new Client({ name: 'azcore-test', version: '0.0.0' });
  clients.push(client);
  return { client, connecting: client.connect(new StreamableHTTPClientTransport(fixture.url)) };
}

/** The 2025-era transport rejects a failed POST with this code, whatever the status. */
function expectHttpError(e: unknown, status: number): void {
  expect(e).toBeInstanceOf(SdkHttpError);
  expect(e).toMatchObject({ code: SdkErrorCode.ClientHttpNotImplemented, status });
}

describe('HTTP statuses from the v1 fixture', () => {
  it('401 (--require-token): auth, not retried', async () => {
    const { connecting } = await clientFor(['require-token=secret']);
    const e = await rejectionOf(connecting);
    expectHttpError(e, 401);
    expectClassified(e, {
      kind: 'auth',
      code: 'HTTP_401',
      retryable: false,
      says: /rejected the credentials \(401\)\. Check the token in the headers or the authProvider/,
    });
  });

  it('403 (--forbid): auth, not retried', async () => {
    const { connecting } = await clientFor(['forbid']);
    const e = await rejectionOf(connecting);
    expectHttpError(e, 403);
    expectClassified(e, {
      kind: 'auth',
      code: 'HTTP_403',
      retryable: false,
      says: /forbidden \(403\)\. Check the token/,
    });
  });

  it('500 (--status-500): a retryable server failure', async () => {
    const { connecting } = await clientFor(['status-500']);
    const e = await rejectionOf(connecting);
    expectHttpError(e, 500);
    expectClassified(e, {
      kind: 'connection',
      code: 'HTTP_500',
      retryable: true,
      says: /failed with HTTP 500\. Retried with backoff; check the server log/,
    });
  });

  it('404 after /__admin/expire-sessions: SESSION_EXPIRED', async () => {
    const { client, connecting } = await clientFor();
    await connecting;
    await fixture!.admin('expire-sessions');
    const e = await rejectionOf(client.callTool({ name: 'echo', arguments: { text: 'x' } }));
    expectHttpError(e, 404);
    expectClassified(e, {
      kind: 'connection',
      code: 'SESSION_EXPIRED',
      retryable: true,
      says: /no longer knows this session \(404\)\. The runtime re-initializes with a new session/,
    });
  });
});

describe('requests that get no answer over HTTP', () => {
  it('REQUEST_TIMEOUT with data.timeout: the `hang` tool', async () => {
    const { client, connecting } = await clientFor();
    await connecting;
    const e = await rejectionOf(client.callTool({ name: 'hang', arguments: {} }, { timeout: 50 }));
    expect(e).toBeInstanceOf(SdkError);
    expect(e).toMatchObject({ code: SdkErrorCode.RequestTimeout, data: { timeout: 50 } });
    expectClassified(e, {
      kind: 'timeout',
      code: 'REQUEST_TIMEOUT',
      retryable: true,
      says: /did not reply within 50 ms\. Raise the timeout/,
    });
  });

  it('the server process exits mid-request: fetch failed (UND_ERR_SOCKET), then ECONNREFUSED; no CONNECTION_CLOSED over HTTP', async () => {
    const { client, connecting } = await clientFor();
    const errors = new Collector<Error>();
    client.onerror = errors.push;
    await connecting;
    const e = await rejectionOf(client.callTool({ name: 'crash', arguments: {} }));
    expect(e).toBeInstanceOf(TypeError);
    expectClassified(e, {
      kind: 'connection',
      code: 'UND_ERR_SOCKET',
      retryable: true,
      says: /could not be reached \(UND_ERR_SOCKET\)/,
    });
    expect(await fixture!.exited).toEqual({ code: 1, signal: null });
    const next = await rejectionOf(client.callTool({ name: 'echo', arguments: { text: 'x' } }));
    expectClassified(next, {
      kind: 'connection',
      code: 'ECONNREFUSED',
      retryable: true,
      says: /could not be reached \(ECONNREFUSED\)/,
    });
    // The standalone event stream reports its own loss through onerror, as a plain Error.
    const dropped = await errors.next((error) => /SSE stream/.test(error.message));
    expect(dropped).not.toBeInstanceOf(SdkError);
    expectClassified(dropped, {
      kind: 'connection',
      code: 'SSE_STREAM',
      retryable: true,
      says: /event stream dropped: (SSE stream disconnected|Failed to reconnect SSE stream).*the runtime reconnects if the server stays down/,
    });
  });
});
