// maxMessageBytes on Streamable HTTP and SSE: an oversized result fails only its own request.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Client, FetchLike, JSONRPCMessage, RequestId } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../../src/config/defaults.js';
import type { ServerConfig } from '../../src/config/serverConfig.js';
import { classifyError, RESULT_TOO_LARGE_CODE } from '../../src/errors/classifyError.js';
import { ResourceError } from '../../src/errors/ResourceError.js';
import { createCappedFetch, requestIds } from '../../src/transports/cappedFetch.js';
import {
  type OversizedSseEvent,
  type OversizedSseVerdict,
  SseEventCap,
} from '../../src/transports/SseEventCap.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { type HttpFixture, startHttpFixture, stopAllFixtures } from '../fixtures/index.js';
import { closeAll, connect } from './helpers.js';

const CAP = 256 * 1024;
const HUGE = 200 * 1024 * 1024;
/** Bytes a `big` result adds around its text: `{"result":{"content":[{"type":"text","text":""}]},"jsonrpc":"2.0","id":NN}`. */
const ENVELOPE = 80;

const textOf = (result: unknown): string =>
  (result as { content: { text?: string }[] }).content[0]?.text ?? '';

describe('SseEventCap: frames events and drops only the oversized one', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const run = (
    max: number,
    chunks: string[],
    verdict: (e: OversizedSseEvent) => OversizedSseVerdict = () => ({ replacement: 'X' }),
  ) => {
    const seen: OversizedSseEvent[] = [];
    const cap = new SseEventCap(max, (e) => {
      seen.push(e);
      return e.ended ? verdict(e) : undefined;
    });
    const out = [...chunks.flatMap((c) => cap.push(enc(c))), ...cap.end()];
    return { text: Buffer.concat(out).toString('utf8'), seen, cap };
  };

  it('passes events through unchanged, whatever the chunking and line endings', () => {
    const stream = 'event: message\r\ndata: {"a":1}\r\n\r\n: keepalive\n\nid: 7\rdata: {"b":\rdata: 2}\r\r';
    for (const size of [1, 2, 3, 7, stream.length]) {
      const chunks = stream.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g')) ?? [];
      const { text, seen } = run(64, chunks);
      expect(text).toBe(stream);
      expect(seen).toEqual([]);
    }
  });

  it('counts the data of an event (the message), not its field names: exactly the cap passes, one more byte does not', () => {
    const event = (n: number) => `event: message\nid: 1\ndata: ${'x'.repeat(n)}\n\n`;
    expect(run(100, [event(100)]).text).toBe(event(100));
    // Two data lines join with a newline: 50 + 1 + 49 = 100.
    const twoLines = `data: ${'y'.repeat(50)}\ndata: ${'y'.repeat(49)}\n\n`;
    expect(run(100, [twoLines]).text).toBe(twoLines);
    const over = run(100, [event(50), event(101), event(3)]);
    expect(over.text).toBe(`${event(50)}id: 1\ndata: "X"\n\n${event(3)}`);
    expect(over.seen.map((e) => [e.bytes, e.ended])).toEqual([
      [101, false],
      [101, true],
    ]);
  });

  it('reports the head and tail of a dropped message (to find its id) without keeping the middle', () => {
    const message = `{"result":{"content":[{"type":"text","text":"${'z'.repeat(10_000)}"}]},"jsonrpc":"2.0","id":42}`;
    const chunks = `data: ${message}\n\n`.match(/[\s\S]{1,999}/g) ?? [];
    const { seen, text } = run(1_000, chunks, () => ({ replacement: { id: 42 } }));
    const last = seen.at(-1)!;
    expect(last.head.startsWith('{"result":{"content"')).toBe(true);
    expect(last.tail.endsWith('"jsonrpc":"2.0","id":42}')).toBe(true);
    expect(last.head.length + last.tail.length).toBeLessThan(2_100);
    expect(last.bytes).toBe(message.length);
    expect(text).toBe('data: {"id":42}\n\n');
  });

  it('stops when a verdict says so, and a cut-off event is still judged at the end of the stream', () => {
    const stopped = run(10, ['data: 0123456789ABC', 'more\n\ndata: next\n\n'], () => ({
      replacement: 1,
      stop: true,
    }));
    expect(stopped.text).toBe('data: 1\n\n');
    expect(stopped.cap.stopped).toBe(true);
    const cut = run(10, ['data: 0123456789ABC']);
    expect(cut.seen.map((e) => e.ended)).toEqual([false, true]);
    expect(cut.text).toBe('data: "X"\n\n');
  });

  it('bounds an event made of anything but data (comments without a blank line)', () => {
    const { seen, text } = run(
      10,
      Array.from({ length: 20_000 }, () => ': ping\n'),
      () => ({ replacement: 0 }),
    );
    expect(seen.map((e) => e.ended)).toEqual([false, true]);
    expect(text).toBe('data: 0\n\n');
  });
});

describe('createCappedFetch: what an oversized message turns into', () => {
  const sse = (body: string) =>
    new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  const big = (json: (filler: string) => object) => `data: ${JSON.stringify(json('w'.repeat(200)))}\n\n`;
  const setup = (response: Response, pending: RequestId[] = []) => {
    const reported: Error[] = [];
    const replies: JSONRPCMessage[] = [];
    const capped = createCappedFetch({
      server: 'unit',
      maxMessageBytes: 100,
      fetch: async () => response,
      answersPending: (id) => pending.includes(id),
      report: (e) => reported.push(e),
      reply: (m) => replies.push(m),
    });
    return { capped, reported, replies };
  };

  it('GET stream: a response to a pending request becomes its error; a notification is reported; a server request is refused; the stream goes on', async () => {
    const body = [
      big((w) => ({ jsonrpc: '2.0', id: 5, result: { w } })),
      big((w) => ({ jsonrpc: '2.0', method: 'notifications/message', params: { w } })),
      big((w) => ({ jsonrpc: '2.0', id: 9, method: 'sampling/createMessage', params: { w } })),
      big((w) => ({ jsonrpc: '2.0', id: 6, result: { w } })), // not pending: reported, not answered
      'data: {"jsonrpc":"2.0","id":7,"result":{}}\n\n',
    ].join('');
    const { capped, reported, replies } = setup(sse(body), [5]);
    const text = await (await capped('http://h/sse')).text();
    const messages = text
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as { id: number; error?: { code: number } });
    expect(messages.map((m) => [m.id, m.error?.code])).toEqual([
      [5, RESULT_TOO_LARGE_CODE],
      [7, undefined],
    ]);
    expect(reported.map((e) => [e.constructor.name, (e as ResourceError).code])).toEqual([
      ['ResourceError', 'MESSAGE_TOO_LARGE'],
      ['ResourceError', 'MESSAGE_TOO_LARGE'],
      ['ResourceError', 'MESSAGE_TOO_LARGE'],
    ]);
    expect(replies).toEqual([
      {
        jsonrpc: '2.0',
        id: 9,
        error: { code: RESULT_TOO_LARGE_CODE, message: 'Request larger than the client accepts' },
      },
    ]);
  });

  it('POST stream: the response of its request becomes an error and the rest of the stream is not read', async () => {
    let pulls = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(new TextEncoder().encode(pulls === 1 ? 'data: {"result":{"x":"' : 'y'.repeat(64)));
      },
    });
    const { capped } = setup(new Response(source, { headers: { 'content-type': 'text/event-stream' } }));
    const response = await capped('http://h/mcp', {
      method: 'POST',
      body: '{"method":"tools/call","params":{},"jsonrpc":"2.0","id":3}',
    });
    const text = await response.text();
    expect(JSON.parse(text.replace(/^data: /, ''))).toMatchObject({
      id: 3,
      error: { code: RESULT_TOO_LARGE_CODE },
    });
    expect(pulls).toBeLessThan(10);
  });

  it('POST JSON: a declared Content-Length above the cap is refused before reading; headers such as mcp-session-id stay', async () => {
    const source = new ReadableStream<Uint8Array>({
      pull() {
        throw new Error('the body must not be read');
      },
    });
    const { capped } = setup(
      new Response(source, {
        headers: { 'content-type': 'application/json', 'content-length': '5000', 'mcp-session-id': 's1' },
      }),
    );
    const response = await capped('http://h/mcp', {
      method: 'POST',
      body: '[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","id":2,"method":"b"}]',
    });
    expect(response.headers.get('mcp-session-id')).toBe('s1');
    expect(response.headers.get('content-length')).toBeNull();
    const errors = (await response.json()) as { id: number; error: { code: number; data: unknown } }[];
    expect(errors.map((e) => [e.id, e.error.code])).toEqual([
      [1, RESULT_TOO_LARGE_CODE],
      [2, RESULT_TOO_LARGE_CODE],
    ]);
    expect(errors[0]?.error.data).toEqual({ server: 'unit', maxMessageBytes: 100, bytes: 5000 });
  });
});

describe('requestIds: the requests a POST answers', () => {
  it('reads ids from single requests and batches, and none from notifications or other bodies', () => {
    expect(requestIds('{"method":"tools/call","params":{"id":9},"jsonrpc":"2.0","id":3}')).toEqual([3]);
    expect(requestIds('{"jsonrpc":"2.0","id":"a","method":"x"}')).toEqual(['a']);
    expect(requestIds('[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"n"}]')).toEqual([1]);
    expect(requestIds('{"jsonrpc":"2.0","method":"notifications/initialized"}')).toEqual([]);
    expect(requestIds('grant_type=client_credentials')).toEqual([]);
    expect(requestIds(undefined)).toEqual([]);
  });
});

/** Bytes of one response body after which the huge result counts as streaming. */
const STREAMING_MARK = 128 * 1024;

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
/** Growth above which a sample collects garbage first, so the peak counts what is held, not what awaits GC. */
const COLLECT_ABOVE = 16 * 2 ** 20;

/**
 * A base fetch (below the cap) that samples heap + array buffers at every chunk any response body
 * delivers, and resolves `streaming` once one body has delivered STREAMING_MARK bytes. A sample
 * that sees more than COLLECT_ABOVE of growth runs a full GC and reads again: the chunks already
 * dropped are garbage whose collection time depends on the machine, while a result held in memory
 * survives the GC and is counted.
 */
function meteredFetch() {
  let baseline = 0;
  let peak = 0;
  let markStreaming = () => {};
  const streaming = new Promise<void>((resolve) => {
    markStreaming = resolve;
  });
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const sample = () => {
    let now = used();
    if (now - baseline > COLLECT_ABOVE) {
      gc();
      now = used();
    }
    peak = Math.max(peak, now);
  };
  const fetchImpl: FetchLike = async (url, init) => {
    const response = await fetch(url, init);
    if (!response.body) return response;
    let bytes = 0;
    const body = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          sample();
          bytes += chunk.length;
          if (bytes >= STREAMING_MARK) markStreaming();
          controller.enqueue(chunk);
        },
      }),
    );
    return new Response(body, response);
  };
  return {
    fetch: fetchImpl,
    streaming,
    start() {
      gc();
      baseline = used();
      peak = baseline;
    },
    /** Largest growth of heap + array buffers since start() that survived a GC, in MiB. */
    peakMiB: () => (peak - baseline) / 2 ** 20,
  };
}

/**
 * Calls `big` with HUGE bytes and, once its result is arriving, a small `echo`: the echo is in
 * flight while the huge result streams (the fixture builds a 200 MiB result synchronously, so an
 * echo sent before that would race the server's keep-alive timers on a blocked event loop).
 */
async function hugeWithConcurrentEcho(client: Client, meter: ReturnType<typeof meteredFetch>) {
  meter.start();
  const huge = client.callTool({ name: 'big', arguments: { bytes: HUGE } }, { timeout: 60_000 });
  await Promise.race([meter.streaming, huge.catch(() => {})]);
  const small = client.callTool({ name: 'echo', arguments: { text: 'meanwhile' } });
  const [hugeOutcome, smallOutcome] = await Promise.allSettled([huge, small]);
  return {
    hugeError: hugeOutcome.status === 'rejected' ? hugeOutcome.reason : 'resolved',
    smallText: smallOutcome.status === 'fulfilled' ? textOf(smallOutcome.value) : smallOutcome.reason,
  };
}

const expectTooLarge = (error: unknown, server: string) => {
  expect(error).toMatchObject({ code: RESULT_TOO_LARGE_CODE });
  const typed = classifyError(error, { server });
  expect(typed).toBeInstanceOf(ResourceError);
  expect(typed).toMatchObject({ kind: 'resource', code: 'RESULT_TOO_LARGE', retryable: false, server });
};

let fixture: HttpFixture;
beforeAll(async () => {
  fixture = await startHttpFixture();
});
afterEach(closeAll);
afterAll(stopAllFixtures);

const configFor = (transport: 'streamableHttp' | 'sse', extra: Partial<ServerConfig> = {}) =>
  ({
    name: `cap-${transport}`,
    transport,
    url: transport === 'sse' ? fixture.sseUrl.href : fixture.url.href,
    maxMessageBytes: CAP,
    ...extra,
  }) as ServerConfig;

describe.each(['streamableHttp', 'sse'] as const)('%s (v1 fixture, event-stream responses)', (transport) => {
  it('a result just under the cap arrives; just over fails alone with RESULT_TOO_LARGE; the connection goes on', async () => {
    const { client, errors } = await connect(configFor(transport));
    const under = await client.callTool({ name: 'big', arguments: { bytes: CAP - ENVELOPE - 16 } });
    expect(textOf(under)).toHaveLength(CAP - ENVELOPE - 16);
    const over = await client
      .callTool({ name: 'big', arguments: { bytes: CAP + 1 } })
      .catch((e: unknown) => e);
    expectTooLarge(over, `cap-${transport}`);
    expect((over as Error).message).toMatch(/larger than maxMessageBytes \(\d+\+ bytes > 262144\)/);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'after' } }))).toBe('after');
    expect(errors.items).toEqual([]);
  });

  it('a 200 MiB result is dropped as it streams (bounded memory) while a concurrent small call succeeds', async () => {
    const meter = meteredFetch();
    const { client, closed } = await connect(configFor(transport), { fetch: meter.fetch });
    let lost = false;
    void closed.then(() => {
      lost = true;
    });
    const { hugeError, smallText } = await hugeWithConcurrentEcho(client, meter);
    expectTooLarge(hugeError, `cap-${transport}`);
    expect(smallText).toBe('meanwhile');
    const peak = meter.peakMiB();
    console.info(`${transport}: 200 MiB result, peak heap + array buffers growth ${peak.toFixed(1)} MiB`);
    expect(peak).toBeLessThan(64);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'later' } }))).toBe('later');
    expect(lost).toBe(false);
  }, 120_000);

  it('without maxMessageBytes the cap is the stdio default (8 MiB)', async () => {
    const config = configFor(transport);
    delete (config as { maxMessageBytes?: number }).maxMessageBytes;
    const { client } = await connect(config);
    const fits = await client.callTool({
      name: 'big',
      arguments: { bytes: DEFAULT_MAX_MESSAGE_BYTES - 1024 },
    });
    expect(textOf(fits)).toHaveLength(DEFAULT_MAX_MESSAGE_BYTES - 1024);
    const over = await client
      .callTool({ name: 'big', arguments: { bytes: DEFAULT_MAX_MESSAGE_BYTES + 1 } })
      .catch((e: unknown) => e);
    expectTooLarge(over, `cap-${transport}`);
  }, 60_000);

  it('through ServerConnection: ResourceError RESULT_TOO_LARGE, the connection stays ready', async () => {
    const conn = new ServerConnection({
      config: configFor(transport),
      logger: quietLogger,
      connection: { pingIntervalMs: 0 },
    });
    try {
      await conn.start();
      const error = await conn.callTool('big', { bytes: 4 * CAP }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ResourceError);
      expect(error).toMatchObject({ kind: 'resource', code: 'RESULT_TOO_LARGE', server: `cap-${transport}` });
      expect(conn.state).toBe('ready');
      expect(conn.breaker.state).toBe('closed');
      expect(textOf(await conn.callTool('big', { bytes: CAP / 2 }))).toHaveLength(CAP / 2);
    } finally {
      await conn.close();
    }
  });
});

/**
 * A stateless Streamable HTTP server with the fixture's tools that answers POSTs with
 * `application/json` (the v1 fixture always streams). With header `x-no-length: 1` it sends
 * no Content-Length, so the client has to count.
 */
const JSON_SERVER = `
import http from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createFixtureServer, createProcessState } from ${JSON.stringify(new URL('../fixtures/tools.mjs', import.meta.url).href)};
const state = createProcessState();
const server = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const raw = Buffer.concat(chunks).toString('utf8');
  if (req.headers['x-no-length']) {
    const writeHead = res.writeHead.bind(res);
    res.writeHead = (status, ...rest) => {
      const headers = rest.find((h) => typeof h === 'object' && h !== null);
      if (Array.isArray(headers)) {
        for (let i = headers.length - 2; i >= 0; i -= 2)
          if (String(headers[i]).toLowerCase() === 'content-length') headers.splice(i, 2);
      } else if (headers) for (const k of Object.keys(headers)) if (k.toLowerCase() === 'content-length') delete headers[k];
      res.removeHeader('content-length');
      return writeHead(status, ...rest);
    };
  }
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  const mcp = createFixtureServer({ state, transport: 'http' });
  await mcp.connect(transport);
  res.on('close', () => void mcp.close());
  await transport.handleRequest(req, res, raw ? JSON.parse(raw) : undefined);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n'));
`;

describe('Streamable HTTP with application/json responses', () => {
  let child: ChildProcess;
  let url: string;
  beforeAll(async () => {
    child = spawn(process.execPath, ['--input-type=module', '-e', JSON_SERVER], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`json server exited (${code})`)));
    });
    url = `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}/mcp`;
  });
  afterAll(() => {
    child?.kill('SIGKILL');
  });

  const jsonConfig = (headers: Record<string, string> = {}): ServerConfig => ({
    name: 'cap-json',
    transport: 'streamableHttp',
    url,
    headers,
    maxMessageBytes: CAP,
  });

  it.each([
    ['with Content-Length', {}],
    ['without Content-Length (counted)', { 'x-no-length': '1' }],
  ])('%s: just under arrives, just over fails alone, the connection goes on', async (_label, headers) => {
    const { client, errors } = await connect(jsonConfig(headers));
    const under = await client.callTool({ name: 'big', arguments: { bytes: CAP - ENVELOPE - 16 } });
    expect(textOf(under)).toHaveLength(CAP - ENVELOPE - 16);
    const over = await client
      .callTool({ name: 'big', arguments: { bytes: CAP + 1 } })
      .catch((e: unknown) => e);
    expectTooLarge(over, 'cap-json');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'after' } }))).toBe('after');
    expect(errors.items).toEqual([]);
  });

  it('a 200 MiB JSON body (no Content-Length) is cut at the cap while a concurrent call succeeds', async () => {
    const meter = meteredFetch();
    const { client } = await connect(jsonConfig({ 'x-no-length': '1' }), { fetch: meter.fetch });
    const { hugeError, smallText } = await hugeWithConcurrentEcho(client, meter);
    expectTooLarge(hugeError, 'cap-json');
    expect(smallText).toBe('meanwhile');
    const peak = meter.peakMiB();
    console.info(`json: 200 MiB result, peak heap + array buffers growth ${peak.toFixed(1)} MiB`);
    expect(peak).toBeLessThan(64);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'later' } }))).toBe('later');
  }, 120_000);

  it('through ServerConnection: ResourceError RESULT_TOO_LARGE, the connection stays ready', async () => {
    const conn = new ServerConnection({
      config: jsonConfig(),
      logger: quietLogger,
      connection: { pingIntervalMs: 0 },
    });
    try {
      await conn.start();
      const error = await conn.callTool('big', { bytes: 4 * CAP }).catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'resource', code: 'RESULT_TOO_LARGE', server: 'cap-json' });
      expect(conn.state).toBe('ready');
      expect(textOf(await conn.callTool('echo', { text: 'ok' }))).toBe('ok');
    } finally {
      await conn.close();
    }
  });
});
