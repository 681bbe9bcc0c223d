// The card's OAuth fields folded from events alone (DashboardModel fed auth.* and connection.state
// events); the same fields against a real authorization server are in test/observe/needsLogin.test.ts.
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { DashboardModel, type DashboardTeam } from '../../src/dashboard/DashboardModel.js';
import type { DashboardMessage } from '../../src/dashboard/types.js';
import type { ConnectionStateName, RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import type { ServerStatus } from '../../src/team/MCPTeam.js';

const REASON = {
  kind: 'auth' as const,
  code: 'AUTH_REQUIRED',
  message:
    '[web] The server needs an OAuth login: the refresh token was refused. Run `azcore auth login web`.',
  retryable: false,
};

function teamOf() {
  const events = new Subject<RuntimeEvent>();
  const status: ServerStatus = {
    state: 'idle',
    breaker: 'closed',
    available: false,
    optional: false,
    tools: 0,
    lastError: undefined,
  };
  const team: DashboardTeam = {
    name: 'ops',
    state: 'ready',
    events$: events.asObservable(),
    getServerStates: () => ({ web: { ...status } }),
    getMcpToolNames: () => [],
    getServer: () => ({ cachedTools: undefined }),
  };
  let at = 1_000;
  const move = (to: ConnectionStateName, lastError?: typeof REASON) => {
    const from = status.state;
    status.state = to;
    status.available = to === 'ready';
    status.lastError = lastError;
    events.next({ type: 'connection.state', at: ++at, source: 'server:web', server: 'web', from, to });
  };
  const emit = (e: Record<string, unknown>) =>
    events.next({ at: ++at, source: 'server:web', server: 'web', ...e } as unknown as RuntimeEvent);
  return { team, move, emit };
}

describe('DashboardModel: needs login and the credential on a card', () => {
  it('authorizing -> needs login with the command; a login and a refresh -> valid with the newest expiry; a refused refresh -> empty with its reason', () => {
    const { team, move, emit } = teamOf();
    const model = new DashboardModel(team, { clock: new SimulatedClock() });
    const cards: DashboardMessage[] = [];
    model.messages$.subscribe((m) => m.type === 'server' && cards.push(m));

    expect(model.serverView('web')?.needsLogin).toBe(false);
    expect(model.serverView('web')?.credential).toBeUndefined();
    move('connecting');
    move('authorizing', REASON);
    expect(model.serverView('web')).toMatchObject({
      state: 'authorizing',
      needsLogin: true,
      loginCommand: 'azcore auth login web',
      lastError: REASON,
    });

    emit({ type: 'auth.login', step: 'started' });
    emit({ type: 'auth.login', step: 'awaitingUser' });
    expect(model.serverView('web')?.credential).toMatchObject({ state: 'empty', login: 'awaitingUser' });
    emit({ type: 'auth.login', step: 'exchanging' });
    emit({ type: 'auth.credential', from: 'empty', to: 'valid', expiresAt: 61_000 });
    emit({ type: 'auth.login', step: 'authorized' });
    move('ready');
    expect(model.serverView('web')).toMatchObject({
      needsLogin: false,
      credential: { state: 'valid', expiresAt: 61_000, login: 'authorized' },
    });
    expect(model.serverView('web')?.loginCommand).toBeUndefined();

    // A refresh keeps showing the old expiry while it runs, then the new one.
    emit({ type: 'auth.credential', from: 'valid', to: 'refreshing' });
    expect(model.serverView('web')?.credential).toMatchObject({ state: 'refreshing', expiresAt: 61_000 });
    emit({ type: 'auth.credential', from: 'refreshing', to: 'valid', expiresAt: 121_000 });
    expect(model.serverView('web')?.credential).toMatchObject({ state: 'valid', expiresAt: 121_000 });

    // The grant is revoked: the refresh is refused, a login is needed again.
    emit({ type: 'auth.credential', from: 'valid', to: 'refreshing' });
    emit({ type: 'auth.credential', from: 'refreshing', to: 'empty', reason: REASON });
    move('authorizing', REASON);
    const card = model.serverView('web');
    expect(card).toMatchObject({ needsLogin: true, credential: { state: 'empty', reason: REASON } });
    expect(card?.credential?.expiresAt).toBeUndefined();
    // Every change reached the page as a `server` message.
    expect(cards.map((m) => (m.data as { credential?: { state: string } }).credential?.state)).toEqual(
      expect.arrayContaining(['empty', 'valid', 'refreshing']),
    );
    model.close();
  });
});
