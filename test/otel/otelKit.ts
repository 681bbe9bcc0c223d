import { type Attributes, context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AggregationTemporality,
  type HistogramMetricData,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach } from 'vitest';
import { ServerConnection, type ServerConnectionOptions } from '../../src/actors/ServerConnection.js';
import type { ServerConfig } from '../../src/config/serverConfig.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import {
  instrumentOpenTelemetry,
  type OpenTelemetryInstrumentation,
  openTelemetryRequestMeta,
} from '../../src/otel/index.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { stopAllFixtures } from '../fixtures/index.js';

/**
 * A real OpenTelemetry SDK in memory: AsyncLocalStorage context manager and W3C propagator
 * registered globally (as an application would), spans and metrics kept for assertions.
 */
export function createOtelKit() {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 3_600_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    tracer: tracerProvider.getTracer('test'),
    meter: meterProvider.getMeter('test'),
    spans,
    finished: (name?: string): ReadableSpan[] =>
      spans.getFinishedSpans().filter((s) => name === undefined || s.name === name),
    /** Points of a histogram after a collection, with their attributes. */
    async histogram(
      name: string,
    ): Promise<{ attributes: Attributes; count: number; sum: number | undefined }[]> {
      metricExporter.reset();
      await reader.forceFlush();
      const metrics = metricExporter
        .getMetrics()
        .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
        .filter((m): m is HistogramMetricData => m.descriptor.name === name);
      return metrics.flatMap((m) =>
        m.dataPoints.map((p) => ({ attributes: p.attributes, count: p.value.count, sum: p.value.sum })),
      );
    },
    async shutdown() {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
      context.disable();
      propagation.disable();
      trace.disable();
    },
  };
}

/** Resolves after pending immediates ran (a failed call's span ends once no retry followed). */
export const settle = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

/** Epoch ms of an OpenTelemetry HrTime. */
export const msOf = ([s, ns]: [number, number]) => s * 1000 + ns / 1e6;

export type OtelKit = ReturnType<typeof createOtelKit>;

/**
 * For a test file of instrumented connections: `connect(config, options)` starts a connection with
 * the OpenTelemetry request meta and an instrumentation on `otel`, and records its events; each is
 * closed (and its instrumentation stopped) after its test, the spans cleared; after the file, the
 * fixture servers stop and the SDK shuts down.
 */
export function useInstrumentedConnections(otel: OtelKit) {
  const open: { conn: ServerConnection; instrumentation: OpenTelemetryInstrumentation }[] = [];
  afterEach(async () => {
    for (const { conn, instrumentation } of open.splice(0)) {
      await conn.close();
      instrumentation.stop();
    }
    otel.spans.reset();
  });
  afterAll(async () => {
    await stopAllFixtures();
    await otel.shutdown();
  });
  return async function connect(config: ServerConfig, options: Partial<ServerConnectionOptions> = {}) {
    const conn = new ServerConnection({
      config,
      logger: quietLogger,
      requestMeta: openTelemetryRequestMeta(),
      ...options,
    });
    const events: RuntimeEvent[] = [];
    conn.events$.subscribe((e) => events.push(e));
    const instrumentation = instrumentOpenTelemetry(conn, { tracer: otel.tracer, meter: otel.meter });
    open.push({ conn, instrumentation });
    await conn.start();
    return { conn, events };
  };
}
