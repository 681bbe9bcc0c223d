import { type Spread, summarize } from './stats.js';

/** One building block of the per-call cost, timed alone. */
export interface Diagnostic {
  id: string;
  label: string;
  nsPerOp: Spread;
}

let sink: unknown;

interface Probe {
  id: string;
  label: string;
  op: (i: number) => void;
}

const started = (i: number) => ({
  type: 'call.started',
  server: 'mem',
  tool: 'double',
  callId: i,
  attempt: 1,
});
const succeeded = (i: number) => ({
  type: 'call.succeeded',
  server: 'mem',
  tool: 'double',
  callId: i,
  attempt: 1,
  durationMs: 0.1,
  isError: false,
});
const noop = (): void => undefined;

/**
 * What the wrapper adds per call, piece by piece: the two ways of stamping an event (as
 * `ServerConnection.#emit` does it, and with the spread last), and the per-call Deadline's parts.
 * Each probe runs in its own function so the engine's feedback of one cannot leak into another.
 */
const PROBES: Probe[] = [
  {
    id: 'spreadThenProps',
    label: '`{ ...event, at, source }` (as `#emit` stamps events), two event shapes alternating',
    op: (i) => {
      const event = i & 1 ? started(i) : succeeded(i);
      sink = { ...event, at: i, source: `server:${event.server}` };
    },
  },
  {
    id: 'propsThenSpread',
    label: '`{ at, source, ...event }`, same events',
    op: (i) => {
      const event = i & 1 ? started(i) : succeeded(i);
      sink = { at: i, source: `server:${event.server}`, ...event };
    },
  },
  {
    id: 'eventLiteral',
    label: 'the event built as one literal (no copy)',
    op: (i) => {
      sink =
        i & 1
          ? {
              type: 'call.started',
              server: 'mem',
              tool: 'double',
              callId: i,
              attempt: 1,
              at: i,
              source: 'server:mem',
            }
          : started(i);
    },
  },
  {
    id: 'abortController',
    label: '`new AbortController()` and reading its signal',
    op: () => {
      sink = new AbortController().signal;
    },
  },
  {
    id: 'abortListener',
    label: 'add + remove an abort listener on a signal (what the SDK does with a passed signal)',
    op: () => {
      const signal = new AbortController().signal;
      signal.addEventListener('abort', noop, { once: true });
      signal.removeEventListener('abort', noop);
    },
  },
  {
    id: 'timer',
    label: '`setTimeout` + `clearTimeout` (a per-call deadline timer)',
    op: () => {
      clearTimeout(setTimeout(noop, 60_000));
    },
  },
];

function timeProbe(probe: Probe, ops: number, reps: number): Spread {
  for (let i = 0; i < ops; i++) probe.op(i); // warm
  const values: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < ops; i++) probe.op(i);
    values.push(Number(process.hrtime.bigint() - t0) / ops);
  }
  return summarize(values);
}

export function runDiagnostics(quick: boolean): Record<string, Diagnostic> {
  const ops = quick ? 5_000 : 20_000;
  const reps = quick ? 5 : 9;
  const out: Record<string, Diagnostic> = {};
  for (const p of PROBES) out[p.id] = { id: p.id, label: p.label, nsPerOp: timeProbe(p, ops, reps) };
  if (sink === 42) throw new Error('unreachable');
  return out;
}
