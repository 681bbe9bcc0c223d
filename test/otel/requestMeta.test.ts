import { TRACEPARENT_META_KEY, TRACESTATE_META_KEY } from '@modelcontextprotocol/client';
import { context, TraceFlags, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { afterAll, describe, expect, it } from 'vitest';
import { openTelemetryRequestMeta } from '../../src/otel/index.js';
import { createOtelKit } from './otelKit.js';

const otel = createOtelKit();
afterAll(() => otel.shutdown());

describe('openTelemetryRequestMeta', () => {
  const meta = openTelemetryRequestMeta();
  const info = { method: 'tools/call' as const, server: 'fx', tool: 't', callId: 1, attempt: 1 };

  it('adds nothing outside a trace', () => {
    expect(meta(info)).toBeUndefined();
    expect(meta()).toBeUndefined();
  });

  it('injects the active context: traceparent and tracestate, unprefixed', () => {
    const span = trace.wrapSpanContext({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
      traceState: new TraceState('rojo=00f067aa0ba902b7'),
    });
    const out = context.with(trace.setSpan(context.active(), span), () => meta(info));
    expect(out).toEqual({
      [TRACEPARENT_META_KEY]: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      [TRACESTATE_META_KEY]: 'rojo=00f067aa0ba902b7',
    });
  });
});
