import { TRACEPARENT_META_KEY } from '@modelcontextprotocol/client';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/config/serverConfig.js';
import { stdioFixture, v2StdioFixture } from '../fixtures/index.js';
import { createOtelKit, msOf, settle, useInstrumentedConnections } from './otelKit.js';

const otel = createOtelKit();
const connect = useInstrumentedConnections(otel);

const eras = [
  {
    label: 'SDK v1 server over stdio (2025 era)',
    method: 'initialize',
    config: (): ServerConfig => ({
      name: 'fx',
      transport: 'stdio',
      connectTimeoutMs: 8_000,
      ...stdioFixture(),
    }),
  },
  {
    label: 'SDK v2 server over stdio (2026-07-28 era)',
    method: 'server/discover',
    config: (): ServerConfig => ({
      name: 'fx',
      transport: 'stdio',
      connectTimeoutMs: 8_000,
      ...v2StdioFixture({ era: '2026' }),
    }),
  },
];

const textOf = (result: { content: unknown }) => (result.content as { text: string }[])[0]?.text ?? '';

describe.each(eras)('instrumentOpenTelemetry: $label', ({ config, method }) => {
  it('traces a successful call as a CLIENT span of the caller, timed by its events', async () => {
    const { conn, events } = await connect(config());
    await otel.tracer.startActiveSpan('caller', async (caller) => {
      await conn.callTool('echo', { text: 'hi' });
      caller.end();
    });
    const [span] = otel.finished('tools/call echo');
    const caller = otel
      .finished('caller')
      .find((s) => s.spanContext().spanId === span?.parentSpanContext?.spanId);
    expect(span).toBeDefined();
    expect(caller).toBeDefined();
    expect(span?.kind).toBe(SpanKind.CLIENT);
    expect(span?.spanContext().traceId).toBe(caller?.spanContext().traceId);
    expect(span?.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'echo',
      'gen_ai.operation.name': 'execute_tool',
      'mcp.protocol.version': conn.protocol?.version,
      'network.transport': 'pipe',
      'azcore.call.attempts': 1,
    });
    expect(conn.protocol?.version).toMatch(/^20\d\d-/);
    expect(span?.attributes['error.type']).toBeUndefined();
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
    // The span's times are the events' `at`.
    const started = events.find((e) => e.type === 'call.started');
    const succeeded = events.find((e) => e.type === 'call.succeeded');
    expect(msOf(span?.startTime as [number, number])).toBeCloseTo(started?.at ?? 0, 0);
    expect(msOf(span?.endTime as [number, number])).toBeCloseTo(succeeded?.at ?? 0, 0);

    // The connect is a span too, named by the era's opening request.
    const [connectSpan] = otel.finished(method);
    expect(connectSpan?.kind).toBe(SpanKind.CLIENT);
    expect(connectSpan?.attributes).toMatchObject({
      'mcp.method.name': method,
      'mcp.protocol.version': conn.protocol?.version,
      'azcore.connection.reconnect': false,
    });

    const points = await otel.histogram('mcp.client.operation.duration');
    const call = points.find((p) => p.attributes['gen_ai.tool.name'] === 'echo');
    expect(call?.count).toBeGreaterThanOrEqual(1);
    expect(call?.attributes).toMatchObject({ 'mcp.method.name': 'tools/call', 'network.transport': 'pipe' });
    expect(points.some((p) => p.attributes['mcp.method.name'] === method)).toBe(true);
  });

  it('propagates the call span in params._meta: the server reads the caller trace id', async () => {
    const { conn } = await connect(config());
    let traceId = '';
    const reply = await otel.tracer.startActiveSpan('caller', async (caller) => {
      traceId = caller.spanContext().traceId;
      try {
        return await conn.callTool('trace', {});
      } finally {
        caller.end();
      }
    });
    const meta = JSON.parse(textOf(reply)) as Record<string, unknown>;
    const traceparent = String(meta[TRACEPARENT_META_KEY]);
    const [, sentTraceId, sentParentId] = traceparent.split('-');
    expect(sentTraceId).toBe(traceId);
    // The server's parent is the MCP client span, as the conventions ask.
    const [span] = otel.finished('tools/call trace');
    expect(sentParentId).toBe(span?.spanContext().spanId);
  });

  it('without a caller trace, the call span is the root the server continues', async () => {
    const { conn } = await connect(config());
    const meta = JSON.parse(textOf(await conn.callTool('trace', {}))) as Record<string, unknown>;
    const [span] = otel.finished('tools/call trace');
    expect(span?.parentSpanContext).toBeUndefined();
    expect(meta[TRACEPARENT_META_KEY]).toBe(
      `00-${span?.spanContext().traceId}-${span?.spanContext().spanId}-01`,
    );
  });

  it('propagates nothing without the requestMeta hook (opt-in), yet still traces', async () => {
    const { conn } = await connect(config(), { requestMeta: undefined });
    const reply = await otel.tracer.startActiveSpan('caller', async (caller) => {
      try {
        return await conn.callTool('trace', {});
      } finally {
        caller.end();
      }
    });
    expect((JSON.parse(textOf(reply)) as Record<string, unknown>)[TRACEPARENT_META_KEY]).toBeUndefined();
    expect(otel.finished('tools/call trace')).toHaveLength(1);
  });

  it('marks an isError result as tool_error', async () => {
    const { conn } = await connect(config());
    await conn.callTool('fail', { message: 'nope' });
    const [span] = otel.finished('tools/call fail');
    expect(span?.attributes['error.type']).toBe('tool_error');
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    const points = await otel.histogram('mcp.client.operation.duration');
    expect(points.find((p) => p.attributes['gen_ai.tool.name'] === 'fail')?.attributes['error.type']).toBe(
      'tool_error',
    );
  });

  it('ends a crashed call with the error, then a breaker rejection as a span event', async () => {
    const { conn } = await connect(config(), {
      breaker: { strategy: { kind: 'consecutive', threshold: 1 }, resetTimeoutMs: 60_000 },
    });
    const crash = await conn.callTool('crash', {}).catch((e: unknown) => e as { code: string; kind: string });
    expect(crash).toMatchObject({ kind: 'connection' });
    const rejected = await conn.callTool('echo', { text: 'x' }).catch((e: unknown) => e as { code: string });
    expect(rejected).toMatchObject({ code: 'CIRCUIT_OPEN' });
    await settle();
    const [crashed] = otel.finished('tools/call crash');
    expect(crashed?.status.code).toBe(SpanStatusCode.ERROR);
    expect(crashed?.attributes['azcore.error.kind']).toBe('connection');
    expect(crashed?.attributes['error.type']).toEqual(expect.any(String));
    const [refused] = otel.finished('tools/call echo');
    expect(refused?.status.code).toBe(SpanStatusCode.ERROR);
    expect(refused?.attributes).toMatchObject({
      'error.type': 'CIRCUIT_OPEN',
      'azcore.error.kind': 'circuitOpen',
    });
    expect(refused?.events.map((e) => e.name)).toEqual(['call.rejected']);
    expect(refused?.events[0]?.attributes).toMatchObject({ 'error.type': 'CIRCUIT_OPEN' });
  });

  it('keeps one span across retries, each retry a span event', async () => {
    const { conn } = await connect(config(), {
      retry: { maxAttempts: 2 },
      connection: { backoffBaseMs: 10, backoffMaxMs: 20 },
    });
    const failure = await conn
      .callTool('crash', {}, { idempotent: true })
      .catch((e: unknown) => e as { kind: string });
    expect(failure).toMatchObject({ kind: 'connection' });
    await settle();
    const spans = otel.finished('tools/call crash');
    expect(spans).toHaveLength(1);
    const [span] = spans;
    expect(span?.events.map((e) => e.name)).toEqual(['call.retried']);
    expect(span?.events[0]?.attributes).toMatchObject({
      'azcore.call.attempt': 1,
      'azcore.error.kind': 'connection',
    });
    expect(span?.attributes['azcore.call.attempts']).toBe(2);
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    // The crashes made the connection reconnect: those connects are spans of their own, not children.
    const reconnects = otel
      .finished()
      .filter((s) => s.attributes['azcore.connection.reconnect'] === true && s.kind === SpanKind.CLIENT);
    expect(reconnects.length).toBeGreaterThanOrEqual(1);
    expect(reconnects.every((s) => s.parentSpanContext === undefined)).toBe(true);
    const sessions = await otel.histogram('mcp.client.session.duration');
    expect(sessions.some((p) => p.attributes['azcore.error.kind'] === 'connection')).toBe(true);
  });
});
