import { describe, expect, it } from 'vitest';
import { ConnectionError } from '../../src/errors/ConnectionError.js';
import { EventBus, ofType, summarizeError } from '../../src/events/EventBus.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';

describe('EventBus', () => {
  it('delivers typed events and ofType narrows them', () => {
    const bus = new EventBus();
    const all: RuntimeEvent[] = [];
    const failures: string[] = [];
    bus.events$.subscribe((e) => all.push(e));
    bus.events$.pipe(ofType('call.failed')).subscribe((e) => failures.push(e.error.code));
    const error = summarizeError(new ConnectionError('down', { server: 's', code: 'ECONNREFUSED' }));
    bus.emit({
      type: 'call.started',
      at: 1,
      source: 'server:s',
      server: 's',
      tool: 't',
      callId: 1,
      attempt: 1,
    });
    bus.emit({
      type: 'call.failed',
      at: 2,
      source: 'server:s',
      server: 's',
      tool: 't',
      callId: 1,
      attempt: 1,
      durationMs: 1,
      error,
    });
    expect(all.map((e) => e.type)).toEqual(['call.started', 'call.failed']);
    expect(failures).toEqual(['ECONNREFUSED']);
    expect(error).toEqual({ kind: 'connection', code: 'ECONNREFUSED', message: '[s] down', retryable: true });
  });

  it('reports whether anyone listens, so hot paths can skip building events', () => {
    const bus = new EventBus();
    expect(bus.observed).toBe(false);
    const sub = bus.events$.subscribe(() => {});
    expect(bus.observed).toBe(true);
    sub.unsubscribe();
    expect(bus.observed).toBe(false);
  });

  it('a bus completed before anyone read events$ hands out a completed stream; emitting unread is a no-op', () => {
    const bus = new EventBus();
    expect(bus.observed).toBe(false);
    bus.emit({ type: 'server.stderr', at: 0, source: 'server:s', server: 's', line: 'nobody listens' });
    bus.complete();
    const seen: string[] = [];
    let completed = false;
    bus.events$.subscribe({ next: (e) => seen.push(e.type), complete: () => (completed = true) });
    bus.emit({ type: 'server.stderr', at: 1, source: 'server:s', server: 's', line: 'after complete' });
    expect({ seen, completed, observed: bus.observed }).toEqual({
      seen: [],
      completed: true,
      observed: false,
    });
  });

  it('events$ is one stream per bus: every read gives the same Observable', () => {
    const bus = new EventBus();
    expect(bus.events$).toBe(bus.events$);
  });
});
