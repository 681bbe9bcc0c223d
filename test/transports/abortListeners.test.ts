// Abort listeners on the HTTP transports' long-lived signal: one per request in flight, none kept.
import { getEventListeners } from 'node:events';
import type { FetchLike } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/config/serverConfig.js';
import { createCappedFetch } from '../../src/transports/cappedFetch.js';
import type { TransportHandle } from '../../src/transports/createTransport.js';
import {
  type HttpFixture,
  startHttpFixture,
  startV2HttpFixture,
  stopAllFixtures,
} from '../fixtures/index.js';
import { closeAll, connect } from './helpers.js';

/** Past Node's default of 10 listeners and the 1,000 mark, cheaply. */
const CALLS = 1_200;

/**
 * The SDK transport's own AbortController: it lives as long as the transport and is the signal the
 * SDK hands to every fetch (Streamable HTTP in the legacy era, every SSE POST).
 */
function transportSignal(handle: TransportHandle): AbortSignal {
  const t = handle.transport as { sdkTransport?: unknown };
  const sdk = (t.sdkTransport ?? t) as { _abortController?: AbortController };
  if (!sdk._abortController) throw new Error('the SDK transport has no _abortController (renamed?)');
  return sdk._abortController.signal;
}

const abortListeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

let v1: HttpFixture;
let v2: HttpFixture;
const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);
beforeAll(async () => {
  [v1, v2] = await Promise.all([startHttpFixture(), startV2HttpFixture({ era: '2026' })]);
  process.on('warning', onWarning);
});
afterEach(closeAll);
afterAll(async () => {
  process.off('warning', onWarning);
  await stopAllFixtures();
});

const PIN_2026 = { versionNegotiation: { mode: { pin: '2026-07-28' } } } as const;
interface Case {
  label: string;
  config: () => ServerConfig;
  client?: typeof PIN_2026;
  calls: number;
}
const cases: Case[] = [
  {
    label: 'Streamable HTTP, legacy era',
    config: () => ({ name: 'h', transport: 'streamableHttp', url: v1.url.href }),
    calls: CALLS,
  },
  { label: 'SSE', config: () => ({ name: 's', transport: 'sse', url: v1.sseUrl.href }), calls: CALLS },
  // The 2026 era hands fetch a per-request signal (the SDK's AbortSignal.any): fewer calls show it.
  {
    label: 'Streamable HTTP, 2026 era',
    config: () => ({ name: 'm', transport: 'streamableHttp', url: v2.url.href }),
    client: PIN_2026,
    calls: 300,
  },
];

describe.each(cases)('$label: calls leave no abort listener behind', ({ config, client: pin, calls }) => {
  it(`${calls} sequential calls, then 16 at once: the transport's signal keeps its listener count; no MaxListenersExceededWarning`, async () => {
    const { client, handle } = await connect(config(), {}, pin);
    const signal = transportSignal(handle);
    const before = abortListeners(signal);
    const seen = warnings.length;
    const counts = new Set<number>();
    const echo = (text: string) => client.callTool({ name: 'echo', arguments: { text } });
    for (let i = 0; i < calls; i++) {
      await echo(`n${i}`);
      counts.add(abortListeners(signal));
    }
    const batch = Promise.all(Array.from({ length: 16 }, (_, i) => echo(`b${i}`)));
    counts.add(abortListeners(signal));
    await batch;
    counts.add(abortListeners(signal));
    expect([...counts]).toEqual([before]);
    expect(warnings.slice(seen).filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });
});

describe('createCappedFetch: the signal fetch gets follows the caller’s and lets go of it', () => {
  const sse = 'data: {"jsonrpc":"2.0","id":1,"result":{}}\n\n';
  const post = { method: 'POST', body: '{"jsonrpc":"2.0","id":1,"method":"tools/call"}' };
  const capped = (base: FetchLike) =>
    createCappedFetch({
      server: 'unit',
      maxMessageBytes: 1_000,
      fetch: base,
      answersPending: () => true,
      report: () => {},
      reply: () => {},
    });
  /** A capped fetch answering `body`, and the signals its fetch was given. */
  const answering = (body: string, status = 200, type = 'text/event-stream') => {
    const given: AbortSignal[] = [];
    const fetch = capped(async (_url, init) => {
      given.push(init?.signal as AbortSignal);
      return new Response(body, { status, headers: { 'content-type': type } });
    });
    return { fetch, given };
  };

  it('once a body is read (any kind of response) or cancelled, or the fetch failed, the caller’s abort no longer reaches it', async () => {
    const kinds: [string, string, number][] = [
      ['text/event-stream', sse, 200],
      ['application/json', '{"jsonrpc":"2.0","id":1,"result":{}}', 200],
      ['text/plain', 'accepted', 202],
      ['text/plain', 'nope', 500],
    ];
    for (const [type, body, status] of kinds) {
      const parent = new AbortController();
      const { fetch, given } = answering(body, status, type);
      const response = await fetch('http://h/mcp', { ...post, signal: parent.signal });
      expect(await response.text()).toBe(body);
      parent.abort();
      expect([type, given[0]?.aborted]).toEqual([type, false]);
    }
    const parent = new AbortController();
    const { fetch, given } = answering(sse);
    await fetch('http://h/mcp', { ...post, signal: parent.signal });
    const cancelled = await fetch('http://h/mcp', { ...post, signal: parent.signal });
    await cancelled.body?.cancel();
    const failed: AbortSignal[] = [];
    const refused = capped(async (_url, init) => {
      failed.push(init?.signal as AbortSignal);
      throw new TypeError('fetch failed');
    });
    await expect(refused('http://h/mcp', { ...post, signal: parent.signal })).rejects.toThrow('fetch failed');
    parent.abort();
    expect([given[0]?.aborted, given[1]?.aborted, failed[0]?.aborted]).toEqual([true, false, false]);
  });

  it('16 requests in flight: the caller’s signal holds one listener, and its abort reaches every one', async () => {
    const parent = new AbortController();
    const { fetch, given } = answering(sse);
    await Promise.all(
      Array.from({ length: 16 }, () => fetch('http://h/mcp', { ...post, signal: parent.signal })),
    );
    expect(abortListeners(parent.signal)).toBe(1);
    const reason = new Error('closed');
    parent.abort(reason);
    expect(given.map((g) => g.reason)).toEqual(Array(16).fill(reason));
  });

  it('an abort of the caller’s signal reaches fetch with the same reason, before and after the headers', async () => {
    const parent = new AbortController();
    const reason = new Error('transport closed');
    const given: AbortSignal[] = [];
    let pulls = 0;
    const fetch = capped(async (_url, init) => {
      given.push(init?.signal as AbortSignal);
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (pulls++ === 0) controller.enqueue(new TextEncoder().encode(': open\n\n'));
          else init?.signal?.addEventListener('abort', () => controller.error(init.signal?.reason));
        },
      });
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    });
    const response = await fetch('http://h/mcp', { ...post, signal: parent.signal });
    expect(given[0]).not.toBe(parent.signal);
    const reading = response.text();
    parent.abort(reason);
    expect(given[0]?.aborted).toBe(true);
    expect(given[0]?.reason).toBe(reason);
    await expect(reading).rejects.toBe(reason);
    expect(abortListeners(parent.signal)).toBe(0);
  });
});
