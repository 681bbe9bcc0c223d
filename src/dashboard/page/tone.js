// How each state is coloured: ok (green), warn (amber), bad (red), info (blue).
const TONES = {
  ready: 'ok',
  closed: 'ok',
  healthy: 'ok',
  degraded: 'warn',
  halfOpen: 'warn',
  connecting: 'info',
  reconnecting: 'warn',
  idle: 'info',
  running: 'info',
  building: 'info',
  closing: 'info',
  open: 'bad',
  isolated: 'bad',
  failed: 'bad',
  authFailed: 'bad',
  authorizing: 'warn',
  unhealthy: 'bad',
  buildFailed: 'bad',
};

/** The tone of a state name, `info` when unknown. */
export function toneOf(state) {
  return TONES[state] ?? 'info';
}
