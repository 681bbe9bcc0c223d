import {
  type Context,
  type Histogram,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
} from '@opentelemetry/api';
import type { ServerConnection } from '../actors/ServerConnection.js';
import type { ListCompleted } from '../events/RuntimeEvent.js';
import { ATTR, connectionAttributes, errorAttributes } from './attributes.js';

/**
 * One CLIENT span per `tools/list`, `resources/list`, `resources/templates/list` or `prompts/list`
 * request, named `{mcp.method.name} {server}` and timed from the event alone: it ends at `at` and
 * started `durationMs` earlier. A listing answered from azcore's cache (`fromCache: true`) sent no
 * request, so it gets no span and no duration point: a span would claim a round trip that never
 * happened, and `mcp.client.operation.duration` would fill with near-zero points.
 */
export function traceListing(
  e: ListCompleted,
  options: {
    tracer: Tracer;
    operationDuration: Histogram;
    connectionOf: (server: string) => ServerConnection | undefined;
    parent: () => Context;
  },
): Span | undefined {
  if (e.fromCache) return undefined;
  const { span: spanAttributes, metric } = connectionAttributes(options.connectionOf(e.server));
  const method = { [ATTR.method]: e.operation };
  const failure = e.ok ? {} : e.error ? errorAttributes(e.error) : { [ATTR.errorType]: '_OTHER' };
  const span = options.tracer.startSpan(
    `${e.operation} ${e.server}`,
    {
      kind: SpanKind.CLIENT,
      startTime: e.at - Math.max(0, e.durationMs),
      attributes: {
        ...method,
        ...spanAttributes,
        [ATTR.server]: e.server,
        ...(e.ok && e.count !== undefined ? { [ATTR.listCount]: e.count } : {}),
        ...failure,
      },
    },
    options.parent(),
  );
  if (!e.ok) span.setStatus({ code: SpanStatusCode.ERROR, ...(e.error ? { message: e.error.message } : {}) });
  span.end(e.at);
  options.operationDuration.record(Math.max(0, e.durationMs) / 1000, { ...metric, ...method, ...failure });
  return span;
}
