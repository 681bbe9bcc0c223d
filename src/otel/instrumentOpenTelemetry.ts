import {
  type Attributes,
  type Context,
  context,
  type Histogram,
  type Meter,
  metrics,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { Observable, Subscription } from 'rxjs';
import type { ServerConnection } from '../actors/ServerConnection.js';
import type { ErrorSummary, RuntimeEvent } from '../events/RuntimeEvent.js';
import { VERSION } from '../version.js';
import { ATTR, connectionAttributes, DURATION_BUCKETS, errorAttributes } from './attributes.js';
import { createAuthTracker } from './authSpans.js';
import { offerCallSpan } from './callSpanHandoff.js';
import { createConnectionTracker } from './connectionSpans.js';
import { traceListing } from './listSpans.js';

/** What can be instrumented: a `ServerConnection`, or an `MCPTeam` (anything with `getServer`). */
export type InstrumentedSource =
  | ServerConnection
  | { readonly events$: Observable<RuntimeEvent>; getServer(name: string): ServerConnection | undefined };

export interface OpenTelemetryOptions {
  /** Default: `trace.getTracer('azcore')` (the global tracer provider). */
  tracer?: Tracer | undefined;
  /** Default: `metrics.getMeter('azcore')` (the global meter provider). */
  meter?: Meter | undefined;
}

/** A running instrumentation: `stop()` unsubscribes and ends the spans still open. */
export interface OpenTelemetryInstrumentation {
  stop(): void;
}

interface OpenCall {
  span: Span;
  startedAt: number;
  attempt: number;
  metric: Attributes;
  /** The failure that ends the call unless a retry follows. */
  failure?: { at: number; error: ErrorSummary } | undefined;
  pending?: NodeJS.Immediate | undefined;
}

/**
 * Traces and measures MCP work by the OpenTelemetry MCP semantic conventions, folded from the
 * source's `events$` (no second bookkeeping; span times are the events' `at`):
 *
 * - `tools/call {tool}` CLIENT spans from `call.started` to `call.succeeded` / `call.failed` /
 *   `call.rejected`, one per call (keyed by `callId`); retries and breaker rejections are span events;
 * - `initialize` (2025) / `server/discover` (2026-07-28) CLIENT spans for each connect and reconnect
 *   (`connection.state` entering `connecting` until it leaves it);
 * - `{mcp.method.name} {server}` CLIENT spans for `tools/list`, `resources/list`,
 *   `resources/templates/list` and `prompts/list` requests (`list.completed`; a listing answered
 *   from the cache sent nothing and gets no span);
 * - `auth.login {server}` spans (steps as span events) and `auth.refresh {server}` spans for OAuth
 *   (`auth.login` / `auth.credential` events; never a token);
 * - `invoke_agent {team}` INTERNAL spans while a team is `running` (tool calls nest under it);
 * - histograms `mcp.client.operation.duration` (calls, listings, connects, keepalive pings) and
 *   `mcp.client.session.duration` (from ready until the connection is lost or closed), in seconds.
 *
 * Pass `openTelemetryRequestMeta()` as the connection's `requestMeta` to propagate the context to
 * the server in `params._meta`.
 *
 * @example
 * const otel = instrumentOpenTelemetry(team, { tracer: provider.getTracer('app') });
 * // ...
 * otel.stop();
 */
export function instrumentOpenTelemetry(
  source: InstrumentedSource,
  options: OpenTelemetryOptions = {},
): OpenTelemetryInstrumentation {
  const tracer = options.tracer ?? trace.getTracer('azcore', VERSION);
  const meter = options.meter ?? metrics.getMeter('azcore', VERSION);
  const operationDuration: Histogram = meter.createHistogram('mcp.client.operation.duration', {
    unit: 's',
    description: 'Duration of MCP requests as observed by the client, until the response or failure.',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  const sessionDuration: Histogram = meter.createHistogram('mcp.client.session.duration', {
    unit: 's',
    description: 'Duration of MCP sessions as observed by the client.',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  const connectionOf = (server: string): ServerConnection | undefined =>
    'getServer' in source
      ? source.getServer(server)
      : (source as ServerConnection).name === server
        ? (source as ServerConnection)
        : undefined;

  const calls = new Map<string, OpenCall>();
  const connections = createConnectionTracker({ tracer, operationDuration, sessionDuration, connectionOf });
  const auth = createAuthTracker(tracer);
  let turn: Span | undefined;

  /** The caller's context; inside a team turn, the turn's span. */
  const parentContext = (): Context => {
    const active = context.active();
    return turn ? trace.setSpan(active, turn) : active;
  };

  const endCall = (key: string, call: OpenCall, at: number, error?: ErrorSummary | 'tool_error') => {
    if (call.pending) clearImmediate(call.pending);
    calls.delete(key);
    const metric = { ...call.metric };
    if (error) {
      const attributes = error === 'tool_error' ? { [ATTR.errorType]: 'tool_error' } : errorAttributes(error);
      call.span.setAttributes(attributes);
      Object.assign(metric, attributes);
      call.span.setStatus({
        code: SpanStatusCode.ERROR,
        ...(error === 'tool_error' ? {} : { message: error.message }),
      });
    }
    call.span.setAttribute(ATTR.attempts, call.attempt);
    call.span.end(at);
    operationDuration.record(Math.max(0, at - call.startedAt) / 1000, metric);
  };

  /** A failure ends the call unless a retry follows, which the runtime decides right after it. */
  const failLater = (key: string, call: OpenCall, at: number, error: ErrorSummary) => {
    call.failure = { at, error };
    if (call.pending) clearImmediate(call.pending);
    call.pending = setImmediate(() => {
      try {
        endCall(key, call, at, error);
      } catch {
        // Telemetry never breaks the runtime that it watches.
      }
    });
  };

  const openCall = (
    e: { server: string; tool: string; callId: number; attempt: number; at: number },
    key: string,
  ): OpenCall => {
    const { span: spanAttributes, metric } = connectionAttributes(connectionOf(e.server));
    const common = {
      [ATTR.method]: 'tools/call',
      [ATTR.toolName]: e.tool,
      [ATTR.operation]: 'execute_tool',
    };
    const span = tracer.startSpan(
      `tools/call ${e.tool}`,
      {
        kind: SpanKind.CLIENT,
        startTime: e.at,
        attributes: { ...common, ...spanAttributes, [ATTR.server]: e.server },
      },
      parentContext(),
    );
    const call: OpenCall = { span, startedAt: e.at, attempt: e.attempt, metric: { ...common, ...metric } };
    calls.set(key, call);
    return call;
  };

  const onEvent = (e: RuntimeEvent): void => {
    switch (e.type) {
      case 'call.started': {
        const key = `${e.server}\u0000${e.callId}`;
        const call = calls.get(key) ?? openCall(e, key);
        if (call.pending) clearImmediate(call.pending);
        call.pending = undefined;
        call.failure = undefined;
        call.attempt = e.attempt;
        offerCallSpan(e.server, e.callId, e.attempt, call.span);
        return;
      }
      case 'call.succeeded': {
        const key = `${e.server}\u0000${e.callId}`;
        const call = calls.get(key);
        if (call) endCall(key, call, e.at, e.isError ? 'tool_error' : undefined);
        return;
      }
      case 'call.failed': {
        const key = `${e.server}\u0000${e.callId}`;
        const call = calls.get(key);
        if (call) failLater(key, call, e.at, e.error);
        return;
      }
      case 'call.retried': {
        const call = calls.get(`${e.server}\u0000${e.callId}`);
        if (!call) return;
        if (call.pending) clearImmediate(call.pending);
        call.pending = undefined;
        call.failure = undefined;
        call.span.addEvent(
          'call.retried',
          {
            ...errorAttributes(e.error),
            'azcore.call.attempt': e.attempt,
            'azcore.retry.delay_ms': e.delayMs,
          },
          e.at,
        );
        return;
      }
      case 'call.rejected': {
        // The breaker refused without sending: the first attempt has no span yet.
        const key = `${e.server}\u0000${e.callId}`;
        const call = calls.get(key) ?? openCall(e, key);
        call.attempt = e.attempt;
        call.span.addEvent(
          'call.rejected',
          {
            ...errorAttributes(e.error),
            'azcore.call.attempt': e.attempt,
            ...(e.retryAt !== undefined
              ? { 'azcore.breaker.retry_at': new Date(e.retryAt).toISOString() }
              : {}),
          },
          e.at,
        );
        failLater(key, call, e.at, e.error);
        return;
      }
      case 'server.ping': {
        const connection = connectionOf(e.server);
        const { metric } = connectionAttributes(connection);
        const method = connection?.protocol?.era === 'modern' ? 'server/discover' : 'ping';
        operationDuration.record(e.durationMs / 1000, {
          ...metric,
          [ATTR.method]: method,
          ...(e.ok || !e.error ? {} : errorAttributes(e.error)),
          ...(e.ok || e.error ? {} : { [ATTR.errorType]: '_OTHER' }),
        });
        return;
      }
      case 'connection.state':
        connections.onState(e);
        return;
      case 'auth.login':
        auth.onLogin(e);
        return;
      case 'auth.credential':
        auth.onCredential(e);
        return;
      case 'team.state':
        if (e.to === 'running' && !turn) {
          turn = tracer.startSpan(
            `invoke_agent ${e.team}`,
            {
              kind: SpanKind.INTERNAL,
              startTime: e.at,
              attributes: { [ATTR.operation]: 'invoke_agent', [ATTR.agentName]: e.team },
            },
            context.active(),
          );
        } else if (e.from === 'running' && turn) {
          turn.end(e.at);
          turn = undefined;
        }
        return;
      case 'list.completed':
        traceListing(e, { tracer, operationDuration, connectionOf, parent: parentContext });
        return;
      default:
        return;
    }
  };

  const subscription: Subscription = source.events$.subscribe({
    next: (e) => {
      try {
        onEvent(e);
      } catch {
        // Telemetry never breaks the runtime that it watches.
      }
    },
  });

  return {
    stop() {
      subscription.unsubscribe();
      for (const [key, call] of calls) {
        if (call.failure) endCall(key, call, call.failure.at, call.failure.error);
        else {
          calls.delete(key);
          call.span.end();
        }
      }
      connections.stop();
      auth.stop();
      turn?.end();
      turn = undefined;
    },
  };
}
