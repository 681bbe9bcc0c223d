import { Subject, type Subscription } from 'rxjs';
import type { InspectionEvent } from 'xstate';
import { circuitBreakerMachineOf } from '../../machines/circuitBreaker.machine.js';
import { connectionMachineOf } from '../../machines/connection.machine.js';
import { teamMachine } from '../../machines/team.machine.js';
import type { Redactor } from '../errors/redact.js';
import { createInspectionStream, type InspectObserver, systemIdOf } from '../observe/inspector.js';
import type { Clock } from '../resilience/Clock.js';
import { toMermaidStateDiagram } from './stateDiagram.js';
import type {
  InspectedActor,
  InspectedEvent,
  InspectionMessage,
  InspectionView,
  MachineKind,
} from './types.js';

/** What the dashboard inspects: a team actor (an `MCPTeam`'s `actor`), whose system holds its servers and breakers. */
export interface InspectableActor {
  readonly system: { inspect(observer: InspectObserver): { unsubscribe(): void } };
  getSnapshot(): { readonly children: Record<string, unknown> };
}

const PREFIXES: [string, MachineKind][] = [
  ['team:', 'team'],
  ['server:', 'connection'],
  ['breaker:', 'breaker'],
];
const MAX_DETAIL_CHARS = 400;

let diagrams: Record<MachineKind, string> | undefined;

/** The full statecharts (every level, events and guards), as docs/diagrams draws them. */
export function inspectionDiagrams(): Record<MachineKind, string> {
  diagrams ??= {
    team: toMermaidStateDiagram(teamMachine),
    connection: toMermaidStateDiagram(connectionMachineOf()),
    breaker: toMermaidStateDiagram(circuitBreakerMachineOf()),
  };
  return diagrams;
}

function kindOf(id: string): MachineKind | undefined {
  return PREFIXES.find(([prefix]) => id.startsWith(prefix))?.[1];
}

/**
 * The XState inspection stream of a team, for the page: every actor of its system that has a
 * system id (`team:<name>`, `server:<name>`, `breaker:<name>`) with its current state value, and
 * the events it received lately. Fed by `createInspectionStream()` attached to the running system
 * (`system.inspect`), so it needs no inspector at build time and nothing online.
 */
export class DashboardInspection {
  readonly messages$ = new Subject<InspectionMessage>();
  readonly #actors = new Map<string, InspectedActor>();
  readonly #events = new Map<string, InspectedEvent[]>();
  readonly #subscriptions: { unsubscribe(): void }[] = [];
  readonly #clock: Clock;
  readonly #redactor: Redactor;
  readonly #maxEvents: number;

  constructor(
    root: InspectableActor,
    teamId: string,
    options: { clock: Clock; redactor: Redactor; maxEvents?: number },
  ) {
    this.#clock = options.clock;
    this.#redactor = options.redactor;
    this.#maxEvents = options.maxEvents ?? 50;
    this.#track(teamId, root);
    for (const child of Object.values(root.getSnapshot().children)) {
      const id = systemIdOf(child as never);
      this.#track(id, child);
    }
    const stream = createInspectionStream();
    const subscription: Subscription = stream.events$.subscribe((e) => this.#onInspection(e));
    this.#subscriptions.push(subscription, root.system.inspect(stream.inspect));
  }

  /** Every inspected actor now, and its recent events (oldest first). */
  view(): InspectionView {
    return {
      actors: [...this.#actors.values()],
      events: Object.fromEntries([...this.#events].map(([id, list]) => [id, [...list]])),
      diagrams: inspectionDiagrams(),
    };
  }

  close(): void {
    for (const s of this.#subscriptions) s.unsubscribe();
    this.messages$.complete();
  }

  #track(id: string, ref: unknown): InspectedActor | undefined {
    const machine = kindOf(id);
    if (!machine) return undefined;
    const value = (ref as { getSnapshot?: () => { value?: unknown } }).getSnapshot?.().value;
    const actor: InspectedActor = { id, machine, value: value ?? null };
    this.#actors.set(id, actor);
    if (!this.#events.has(id)) this.#events.set(id, []);
    return actor;
  }

  #onInspection(e: InspectionEvent): void {
    if (e.type !== '@xstate.event' && e.type !== '@xstate.snapshot' && e.type !== '@xstate.actor') return;
    const id = systemIdOf(e.actorRef);
    if (!kindOf(id)) return;
    const known = this.#actors.get(id) ?? this.#track(id, e.actorRef);
    if (!known) return;
    if (e.type === '@xstate.event') {
      const event = this.#summarize(
        e.event as Record<string, unknown>,
        e.sourceRef ? systemIdOf(e.sourceRef) : undefined,
      );
      const list = this.#events.get(id) ?? [];
      list.push(event);
      if (list.length > this.#maxEvents) list.shift();
      this.#events.set(id, list);
      this.messages$.next({ actor: id, machine: known.machine, event });
    } else if (e.type === '@xstate.snapshot') {
      const value = (e.snapshot as { value?: unknown }).value ?? null;
      if (JSON.stringify(value) === JSON.stringify(known.value)) return;
      known.value = value;
      this.messages$.next({ actor: id, machine: known.machine, value });
    } else {
      this.messages$.next({ actor: id, machine: known.machine, value: known.value });
    }
  }

  /** An event as the page shows it: its type, sender, and its other fields as short redacted JSON. */
  #summarize(event: Record<string, unknown>, from: string | undefined): InspectedEvent {
    const { type, ...rest } = event;
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(rest)) {
      // SPAWN carries the child's machine; done events carry whole outputs. Names say enough.
      if (key === 'logic') fields[key] = '(actor logic)';
      else if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) fields[key] = value;
      else fields[key] = shortJson(value);
    }
    const detail = Object.keys(fields).length > 0 ? shortJson(this.#redactor.redactDeep(fields)) : undefined;
    return {
      at: this.#clock.now(),
      type: String(type),
      ...(from && from !== 'undefined' ? { from } : {}),
      ...(detail ? { detail } : {}),
    };
  }
}

function shortJson(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = '(not serializable)';
  }
  return text.length > MAX_DETAIL_CHARS ? `${text.slice(0, MAX_DETAIL_CHARS)}…` : text;
}
