import type { Span } from '@opentelemetry/api';

/**
 * The span of the `tools/call` attempt whose `call.started` event was just handled. ServerConnection
 * calls its `requestMeta` hook synchronously after emitting that event, so the hook finds the span
 * here and propagates it (not the caller's span) as the server span's parent. One slot suffices:
 * nothing runs between the event and the hook.
 */
let slot: { server: string; callId: number; attempt: number; span: Span } | undefined;

export function offerCallSpan(server: string, callId: number, attempt: number, span: Span): void {
  const offered = { server, callId, attempt, span };
  slot = offered;
  // Good for this synchronous turn only: a connection without the hook never takes it.
  queueMicrotask(() => {
    if (slot === offered) slot = undefined;
  });
}

/** The span offered for exactly this attempt, if any; the slot is emptied either way. */
export function takeCallSpan(server: string, callId: number, attempt: number): Span | undefined {
  const offered = slot;
  slot = undefined;
  return offered && offered.server === server && offered.callId === callId && offered.attempt === attempt
    ? offered.span
    : undefined;
}
