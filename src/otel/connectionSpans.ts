import {
  type Attributes,
  context,
  type Histogram,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
} from '@opentelemetry/api';
import type { ServerConnection } from '../actors/ServerConnection.js';
import type { ConnectionStateChanged, ErrorSummary } from '../events/RuntimeEvent.js';
import { ATTR, connectionAttributes, errorAttributes } from './attributes.js';

const USABLE = new Set(['ready', 'degraded']);

/**
 * Connects and sessions folded from `connection.state` events: a CLIENT span (`initialize`, or
 * `server/discover` in the 2026-07-28 era) from entering `connecting` to leaving it, measured in
 * `mcp.client.operation.duration`; a session from `ready` until the connection is lost or closed,
 * measured in `mcp.client.session.duration`.
 */
export function createConnectionTracker(options: {
  tracer: Tracer;
  operationDuration: Histogram;
  sessionDuration: Histogram;
  connectionOf: (server: string) => ServerConnection | undefined;
}): { onState(e: ConnectionStateChanged): void; stop(): void } {
  const { tracer, operationDuration, sessionDuration, connectionOf } = options;
  const connects = new Map<string, { span: Span; startedAt: number }>();
  const sessions = new Map<string, { startedAt: number; metric: Attributes }>();

  const onState = (e: ConnectionStateChanged): void => {
    const connection = connectionOf(e.server);
    if (e.from === 'connecting') {
      const connect = connects.get(e.server);
      if (connect) {
        connects.delete(e.server);
        const method = connection?.protocol?.era === 'modern' ? 'server/discover' : 'initialize';
        const { span, metric } = connectionAttributes(connection);
        connect.span.updateName(method);
        connect.span.setAttributes({ ...span, [ATTR.method]: method });
        const failed = !USABLE.has(e.to) && e.reason;
        if (failed) {
          connect.span.setAttributes(errorAttributes(e.reason as ErrorSummary));
          connect.span.setStatus({ code: SpanStatusCode.ERROR, message: (e.reason as ErrorSummary).message });
        }
        connect.span.end(e.at);
        operationDuration.record(Math.max(0, e.at - connect.startedAt) / 1000, {
          ...metric,
          [ATTR.method]: method,
          ...(failed ? errorAttributes(e.reason as ErrorSummary) : {}),
        });
      }
      if (USABLE.has(e.to))
        sessions.set(e.server, { startedAt: e.at, metric: connectionAttributes(connection).metric });
    }
    if (e.to === 'connecting') {
      // A first connect belongs to whoever started it; a reconnect to nobody's request.
      const parent = e.from === 'idle' ? context.active() : ROOT_CONTEXT;
      const span = tracer.startSpan(
        'initialize',
        {
          kind: SpanKind.CLIENT,
          startTime: e.at,
          attributes: {
            [ATTR.method]: 'initialize',
            [ATTR.server]: e.server,
            'azcore.connection.reconnect': e.from !== 'idle',
          },
        },
        parent,
      );
      connects.set(e.server, { span, startedAt: e.at });
    }
    const session = sessions.get(e.server);
    if (session && USABLE.has(e.from) && !USABLE.has(e.to)) {
      sessions.delete(e.server);
      const closedByUs = e.to === 'closing' || e.to === 'closed';
      sessionDuration.record(Math.max(0, e.at - session.startedAt) / 1000, {
        ...session.metric,
        ...(!closedByUs && e.reason ? errorAttributes(e.reason) : {}),
      });
    }
  };

  return {
    onState,
    stop() {
      for (const connect of connects.values()) connect.span.end();
      connects.clear();
      sessions.clear();
    },
  };
}
