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
