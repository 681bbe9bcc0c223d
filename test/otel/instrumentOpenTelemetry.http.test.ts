import { TRACEPARENT_META_KEY } from '@modelcontextprotocol/client';
import { SpanKind } from '@opentelemetry/api';
import { beforeAll, describe, expect, it } from 'vitest';
import { type HttpFixture, startHttpFixture, startV2HttpFixture } from '../fixtures/index.js';
import { createOtelKit, useInstrumentedConnections } from './otelKit.js';

const otel = createOtelKit();
const connect = useInstrumentedConnections(otel);
let v1: HttpFixture;
let v2: HttpFixture;
beforeAll(async () => {
  [v1, v2] = await Promise.all([startHttpFixture(), startV2HttpFixture({ era: '2026' })]);
});

describe('instrumentOpenTelemetry over Streamable HTTP', () => {
  const eras = [
    { label: '2025 era (SDK v1 server, with a session)', fixture: () => v1, session: true },
    { label: '2026-07-28 era (SDK v2 server, no sessions)', fixture: () => v2, session: false },
  ];

  it.each(eras)('$label: tcp, server address and port, propagation', async ({ fixture, session }) => {
    const url = fixture().url;
    const { conn } = await connect({
      name: 'web',
      transport: 'streamableHttp',
      url: url.href,
      connectTimeoutMs: 8_000,
    });
    const reply = await otel.tracer.startActiveSpan('caller', async (caller) => {
      try {
        return await conn.callTool('trace', {});
      } finally {
        caller.end();
      }
    });
    const [span] = otel.finished('tools/call trace');
    const [caller] = otel.finished('caller');
    expect(span?.kind).toBe(SpanKind.CLIENT);
    expect(span?.attributes).toMatchObject({
      'network.transport': 'tcp',
      'server.address': '127.0.0.1',
      'server.port': Number(url.port),
      'mcp.protocol.version': conn.protocol?.version,
    });
    if (session) expect(span?.attributes['mcp.session.id']).toEqual(expect.stringMatching(/.+/));
    else expect(span?.attributes['mcp.session.id']).toBeUndefined();
    const meta = JSON.parse((reply.content as { text: string }[])[0]?.text ?? '{}') as Record<
      string,
      unknown
    >;
    expect(meta[TRACEPARENT_META_KEY]).toBe(
      `00-${caller?.spanContext().traceId}-${span?.spanContext().spanId}-01`,
    );
    // The metric carries the network attributes, never the (high-cardinality) session id.
    const points = await otel.histogram('mcp.client.operation.duration');
    const point = points.find(
      (p) => p.attributes['gen_ai.tool.name'] === 'trace' && p.attributes['server.port'] === Number(url.port),
    );
    expect(point?.attributes).toMatchObject({ 'network.transport': 'tcp', 'mcp.method.name': 'tools/call' });
    expect(point?.attributes['mcp.session.id']).toBeUndefined();
  });

  it('legacy SSE (2024-11-05 transport): tcp, server address and port', async () => {
    const url = v1.sseUrl;
    const { conn } = await connect({ name: 'old', transport: 'sse', url: url.href, connectTimeoutMs: 8_000 });
    await conn.callTool('echo', { text: 'x' });
    const [span] = otel.finished('tools/call echo');
    expect(span?.attributes).toMatchObject({
      'network.transport': 'tcp',
      'server.address': '127.0.0.1',
      'server.port': Number(url.port),
    });
  });
});
