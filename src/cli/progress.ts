const ICONS: Record<string, string> = {
  idle: '·',
  connecting: '…',
  ready: '✓',
  degraded: '!',
  reconnecting: '↻',
  authFailed: '✗',
  failed: '✗',
  closing: '·',
  closed: '·',
};

/**
 * Prints one line per server state change while a team connects, with the time since start:
 * `  ✓ memory      ready (0.4 s)`.
 *
 * @example
 * const progress = serverProgress(['memory', 'files'], (line) => process.stderr.write(`${line}\n`));
 * progress('memory', 'connecting');
 */
export function serverProgress(
  names: readonly string[],
  write: (line: string) => void,
  now: () => number = Date.now,
): (server: string, state: string) => void {
  const started = now();
  const width = Math.max(...names.map((n) => n.length), 6);
  return (server, state) => {
    if (state === 'idle') return;
    const seconds = ((now() - started) / 1000).toFixed(1);
    write(`  ${ICONS[state] ?? '·'} ${server.padEnd(width)}  ${state} (${seconds} s)`);
  };
}
