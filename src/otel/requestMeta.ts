import { context, propagation, trace } from '@opentelemetry/api';
import type { RequestMetaInfo } from '../actors/ServerConnection.js';
import { takeCallSpan } from './callSpanHandoff.js';

/**
 * A `requestMeta` hook for {@link ServerConnection} (and `MCPTeamBuilder` servers) that puts the
 * W3C trace context of each `tools/call` into `params._meta` (`traceparent`, `tracestate`,
 * `baggage`, unprefixed, as SEP-414 and the OpenTelemetry MCP conventions say), in both protocol
 * eras. The context is the call's MCP client span when {@link instrumentOpenTelemetry} traces the
 * connection, else the active context at call time; with no active span nothing is added.
 * Uses the globally registered propagator (`propagation.setGlobalPropagator`).
 *
 * @example
 * const server = new ServerConnection({ config, requestMeta: openTelemetryRequestMeta() });
 * const otel = instrumentOpenTelemetry(server);
 */
export function openTelemetryRequestMeta(): (
  request?: RequestMetaInfo,
) => Record<string, unknown> | undefined {
  return (request) => {
    try {
      const span = request && takeCallSpan(request.server, request.callId, request.attempt);
      const active = context.active();
      const carrier: Record<string, string> = {};
      propagation.inject(span ? trace.setSpan(active, span) : active, carrier);
      // Whatever the configured propagators write (W3C: `traceparent`, the SDK's TRACEPARENT_META_KEY).
      return Object.keys(carrier).length > 0 ? carrier : undefined;
    } catch {
      // Tracing must never fail a call.
      return undefined;
    }
  };
}
