// The runtime imports rxjs by module (rxjs/internal/...) to keep its cold import small; its public
// streams must still be the rxjs an application imports: the same classes, the same operators.
import { createRequire } from 'node:module';
import {
  BehaviorSubject,
  firstValueFrom,
  isObservable,
  Observable,
  filter as rxFilter,
  Subject,
  take,
  toArray,
} from 'rxjs';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/actors/CircuitBreaker.js';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { EventBus, ofType } from '../../src/events/EventBus.js';
import { inMemoryServer, quietLogger } from './connectionTestKit.js';

function inMemoryConnection(bus?: EventBus): ServerConnection {
  return new ServerConnection({
    config: { name: 'mem', transport: 'stdio', command: 'in-memory' },
    logger: quietLogger,
    ...(bus ? { bus } : {}),
    transportFactory: inMemoryServer().factory,
  });
}

describe('rxjs imported by module is the rxjs applications import', () => {
  it('the modules the runtime imports are the ones the rxjs index exports', () => {
    const require = createRequire(import.meta.url);
    const index = require('rxjs') as Record<string, unknown>;
    const byModule = (path: string, name: string) =>
      (require(`rxjs/internal/${path}`) as Record<string, unknown>)[name];
    expect(byModule('Subject', 'Subject')).toBe(index.Subject);
    expect(byModule('BehaviorSubject', 'BehaviorSubject')).toBe(index.BehaviorSubject);
    expect(byModule('Observable', 'Observable')).toBe(index.Observable);
    expect(byModule('firstValueFrom', 'firstValueFrom')).toBe(index.firstValueFrom);
    expect(byModule('observable/from', 'from')).toBe(index.from);
    expect(byModule('ReplaySubject', 'ReplaySubject')).toBe(index.ReplaySubject);
    expect(byModule('Subscription', 'Subscription')).toBe(index.Subscription);
    for (const fn of ['combineLatest', 'merge', 'of'])
      expect(byModule(`observable/${fn}`, fn)).toBe(index[fn]);
    for (const op of ['filter', 'map', 'distinctUntilChanged', 'concatMap', 'share'])
      expect(byModule(`operators/${op}`, op)).toBe(index[op]);
    expect(index.Subject).toBe(Subject);
  });

  it('events$, state$ and breaker.state$ are rxjs Observables that rxjs operators pipe', async () => {
    const bus = new EventBus();
    const conn = inMemoryConnection(bus);
    const own = inMemoryConnection();
    const breaker = new CircuitBreaker({ id: 'b' });
    for (const stream of [conn.events$, conn.state$, own.events$, bus.events$, breaker.state$]) {
      expect(stream).toBeInstanceOf(Observable);
      expect(isObservable(stream)).toBe(true);
    }
    expect(await firstValueFrom(breaker.state$)).toBe('closed');
    const states = firstValueFrom(conn.state$.pipe(take(2), toArray()));
    const ready = firstValueFrom(
      conn.events$.pipe(
        ofType('connection.state'),
        rxFilter((e) => e.to === 'ready'),
      ),
    );
    await conn.start();
    expect(await states).toEqual(['connecting', 'ready']);
    expect(await ready).toMatchObject({ server: 'mem', from: 'connecting' });
    await Promise.all([conn.close(), own.close()]);
    breaker.stop();
    expect(new BehaviorSubject(1)).toBeInstanceOf(Subject);
  });
});
