import { childPids } from '../fixtures/index.js';

/**
 * What the chaos cells compare before and after each cell: child processes (from /proc), active
 * handles per type (`process.getActiveResourcesInfo()`), listeners per process event, and the
 * unhandled rejections / uncaught exceptions seen so far.
 */
export interface ProcessProbe {
  children: Set<number>;
  handles: Map<string, number>;
  listeners: Map<string | symbol, number>;
}

/** Handles owned by the test runner's own stdio; they come and go with its output. */
const IGNORED_HANDLES = new Set(['TTYWrap']);

export function probeProcess(): ProcessProbe {
  const handles = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) {
    if (!IGNORED_HANDLES.has(type)) handles.set(type, (handles.get(type) ?? 0) + 1);
  }
  const listeners = new Map<string | symbol, number>();
  for (const name of process.eventNames()) listeners.set(name, process.listenerCount(name));
  return { children: new Set(childPids(process.pid)), handles, listeners };
}

export interface Leaks {
  children: number[];
  handles: string[];
  listeners: string[];
}

function leaksBetween(before: ProcessProbe, after: ProcessProbe): Leaks {
  const children = [...after.children].filter((pid) => !before.children.has(pid));
  const handles = [...after.handles]
    .filter(([type, n]) => n > (before.handles.get(type) ?? 0))
    .map(([type, n]) => `${type} ${before.handles.get(type) ?? 0} -> ${n}`);
  const listeners = [...after.listeners]
    .filter(([name, n]) => n > (before.listeners.get(name) ?? 0))
    .map(([name, n]) => `${String(name)} ${before.listeners.get(name) ?? 0} -> ${n}`);
  return { children, handles, listeners };
}

const clean = (l: Leaks): boolean => l.children.length + l.handles.length + l.listeners.length === 0;

/**
 * Leaks since `before`. Closed sockets and exiting children are released by the event loop a few
 * turns after `close()` resolves, so this re-probes every few ms until clean, giving up (and
 * reporting what is left) after `limitMs`. The re-probe timer has fired before each probe, so it
 * is not counted.
 */
export async function leaksSince(before: ProcessProbe, limitMs = 3_000): Promise<Leaks> {
  const until = performance.now() + limitMs;
  let leaks = leaksBetween(before, probeProcess());
  while (!clean(leaks) && performance.now() < until) {
    await new Promise<void>((resolve) => setTimeout(resolve, 10));
    leaks = leaksBetween(before, probeProcess());
  }
  return leaks;
}

/** Collects unhandled rejections and uncaught exceptions while installed. */
export class UnhandledWatch {
  readonly seen: string[] = [];
  readonly #onRejection = (reason: unknown) => this.seen.push(`unhandledRejection: ${describe(reason)}`);
  readonly #onException = (error: unknown) => this.seen.push(`uncaughtException: ${describe(error)}`);

  install(): void {
    process.on('unhandledRejection', this.#onRejection);
    process.on('uncaughtException', this.#onException);
  }

  uninstall(): void {
    process.off('unhandledRejection', this.#onRejection);
    process.off('uncaughtException', this.#onException);
  }
}

function describe(value: unknown): string {
  return value instanceof Error ? `${value.name}: ${value.message}` : String(value);
}
