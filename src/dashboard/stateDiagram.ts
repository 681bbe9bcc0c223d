import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';

/** Options of {@link toMermaidStateDiagram}. */
export interface StateDiagramOptions {
  /**
   * Draw nested states down to this depth (1: top-level states only; transitions inside a collapsed
   * state are drawn from and to its top-level ancestor). Default: every level.
   */
  depth?: number;
  /**
   * State paths drawn nested below `depth` all the same (`['connected.health']`: `connected`, its
   * regions, and the states of `health`; `keepalive` stays collapsed). Default none.
   */
  expand?: readonly string[];
  /** Write guard names on transitions (`EVENT [guard]`). Default true. */
  guards?: boolean;
  /**
   * Write what a state does while in it as state descriptions: its named entry and exit actions and
   * its invoked actors (`connecting : entry startConnect`, `closing : invoke disconnect`). Default true.
   */
  invokes?: boolean;
  /** Write event names on transitions and the "from any state" notes. Default true; false draws arrows only. */
  labels?: boolean;
  /** A `%%` comment line written right after `stateDiagram-v2` (e.g. where the diagram came from). */
  comment?: string;
}

interface Edge {
  from: string;
  to: string;
  labels: string[];
}

/**
 * Draws an XState v5 machine as a Mermaid `stateDiagram-v2`, by walking its state nodes: initial
 * states, nested and parallel states, every transition with its event (delays as `after <delay>`,
 * invoke results as `done <id>` / `error <id>`, eventless ones as `always`) and guard, invoked
 * actors and final states. Transitions declared on the machine root ("from any state") become notes.
 * Top-level states keep their key as Mermaid id, so a page can highlight one with `class <key> <cls>`;
 * nested states get path ids (`connected_health_ready`) labelled with their key.
 *
 * @example
 * import { circuitBreakerMachine } from 'azcore/machines';
 * const text = toMermaidStateDiagram(circuitBreakerMachine);
 * // stateDiagram-v2
 * //     [*] --> closed
 * //     closed --> open : FAILURE [failureTrips]
 * //     ...
 */
export function toMermaidStateDiagram(machine: AnyStateMachine, options: StateDiagramOptions = {}): string {
  const depth = options.depth ?? Number.POSITIVE_INFINITY;
  const settings = {
    depth,
    expand: (options.expand ?? []).map((path) => path.split('.')),
    guards: options.guards ?? true,
    invokes: options.invokes ?? true,
    labels: options.labels ?? true,
  };
  const lines = ['stateDiagram-v2'];
  if (options.comment) lines.push(`    %% ${clean(options.comment)}`);
  const root = machine.root;
  const edges = new Map<string, Edge>();
  const body: string[] = [];
  writeChildren(root, 1, settings, body);
  for (const node of descendants(root)) collectEdges(node, settings, edges);
  for (const edge of edges.values()) {
    const label = settings.labels ? [...new Set(edge.labels)].filter(Boolean).join(' / ') : '';
    body.push(`${pad(1)}${edge.from} --> ${edge.to}${label ? ` : ${label}` : ''}`);
  }
  if (settings.labels) body.push(...rootNotes(root, settings));
  return `${[...lines, ...body].join('\n')}\n`;
}

type Settings = {
  depth: number;
  expand: readonly (readonly string[])[];
  guards: boolean;
  invokes: boolean;
  labels: boolean;
};

/** Drawn: within `depth`, or a child of a state on an `expand` path. */
function isDrawn(node: AnyStateNode, settings: Settings): boolean {
  if (node.path.length <= settings.depth) return true;
  const parent = node.path.slice(0, -1);
  return settings.expand.some(
    (path) => parent.length <= path.length && parent.every((key, i) => path[i] === key),
  );
}

function pad(level: number): string {
  return '    '.repeat(level);
}

/** Mermaid id of a node: its key at the top level, its path below (keys repeat across parents). */
function idOf(node: AnyStateNode): string {
  return node.path.length <= 1 ? node.key : node.path.join('_');
}

/** The node itself, or its deepest drawn ancestor. */
function drawn(node: AnyStateNode, settings: Settings): AnyStateNode {
  let n = node;
  while (!isDrawn(n, settings) && n.parent) n = n.parent;
  return n;
}

function childrenOf(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states) as AnyStateNode[];
}

function descendants(node: AnyStateNode): AnyStateNode[] {
  return childrenOf(node).flatMap((child) => [child, ...descendants(child)]);
}

/** Declares the children of `parent`: initial arrow, nesting, parallel regions, final states. */
function writeChildren(parent: AnyStateNode, level: number, settings: Settings, out: string[]): void {
  const children = childrenOf(parent);
  if (parent.type !== 'parallel') {
    for (const target of parent.initial?.target ?? []) out.push(`${pad(level)}[*] --> ${idOf(target)}`);
  }
  children.forEach((child, i) => {
    if (parent.type === 'parallel' && i > 0) out.push(`${pad(level)}--`);
    const id = idOf(child);
    const nested = childrenOf(child).some((grandchild) => isDrawn(grandchild, settings));
    const invokes = settings.invokes ? activities(child) : [];
    // Mermaid refuses a description on a group: a drawn parent names what it does in its label.
    const label = nested && invokes.length ? `${clean(child.key)} (${invokes.join(', ')})` : clean(child.key);
    if (child.path.length > 1 || label !== child.key) out.push(`${pad(level)}state "${label}" as ${id}`);
    if (nested) {
      out.push(`${pad(level)}state ${id} {`);
      writeChildren(child, level + 1, settings, out);
      out.push(`${pad(level)}}`);
    } else {
      for (const invoke of invokes) out.push(`${pad(level)}${id} : ${invoke}`);
    }
    if (child.type === 'final') out.push(`${pad(level)}${id} --> [*]`);
  });
}

function collectEdges(node: AnyStateNode, settings: Settings, edges: Map<string, Edge>): void {
  const transitions: AnyTransitionDefinition[] = [...node.transitions.values()].flat();
  transitions.push(...(node.always ?? []));
  for (const t of transitions) {
    if (!t.target?.length) continue;
    const source = drawn(node, settings);
    for (const target of t.target as AnyStateNode[]) {
      const to = drawn(target, settings);
      // A step inside a collapsed state is not a transition of the drawing; a re-entry is.
      if (to === source && !t.reenter) continue;
      addEdge(edges, idOf(source), idOf(to), labelOf(t, settings.guards, node));
    }
  }
}

function addEdge(edges: Map<string, Edge>, from: string, to: string, label: string): void {
  const key = `${from}->${to}`;
  const edge = edges.get(key);
  if (edge) edge.labels.push(label);
  else edges.set(key, { from, to, labels: [label] });
}

/** `EVENT [guard]`, with XState's internal event names made readable. */
export function labelOf(t: AnyTransitionDefinition, guards = true, node?: AnyStateNode): string {
  const event = eventName(t, node);
  const guard = guards ? guardName(t.guard) : undefined;
  return clean(guard ? `${event} [${guard}]` : event);
}

/** `entry <action>`, `exit <action>` for the state's named actions, then `invoke <actor>` for each invoke. */
function activities(node: AnyStateNode): string[] {
  return [
    ...namedActions(node.entry).map((name) => `entry ${clean(name)}`),
    ...namedActions(node.exit).map((name) => `exit ${clean(name)}`),
    ...node.invoke.map((invoke) => `invoke ${clean(invokeName(invoke))}`),
  ];
}

/**
 * The names of actions given by name (`entry: 'startConnect'`). Inline functions and XState's own
 * (the raise and cancel of an `after`, drawn as its transition) have none worth writing.
 */
function namedActions(actions: readonly unknown[]): string[] {
  return actions.flatMap((action) => {
    const name = typeof action === 'string' ? action : (action as { type?: unknown } | null)?.type;
    return typeof name === 'string' && !name.startsWith('xstate.') ? [name] : [];
  });
}

/** A named actor's `src` (`connect`), else its id: generated ids (`0.health.checking`) say nothing. */
function invokeName(invoke: { id: string; src: unknown }): string {
  return typeof invoke.src === 'string' ? invoke.src : invoke.id;
}

function eventName(t: AnyTransitionDefinition, node: AnyStateNode | undefined): string {
  const type = t.eventType;
  if (type === '') return 'always';
  const delay = (t as { delay?: unknown }).delay;
  if (type.startsWith('xstate.after.')) return `after ${typeof delay === 'number' ? `${delay} ms` : delay}`;
  const done = /^xstate\.(done|error)\.actor\.(.+)$/.exec(type);
  if (done) {
    const invoke = node?.invoke.find((i) => i.id === done[2]);
    return `${done[1]} ${invoke ? invokeName(invoke) : done[2]}`;
  }
  if (type.startsWith('xstate.done.state.')) return 'done';
  return type;
}

function guardName(guard: unknown): string | undefined {
  if (guard === undefined) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && guard !== null && 'type' in guard) return String(guard.type);
  if (typeof guard === 'function') {
    const parts = (guard as { guards?: unknown[] }).guards;
    if (Array.isArray(parts)) return `${guard.name}(${parts.map((g) => guardName(g) ?? '?').join(', ')})`;
    return guard.name || 'guard';
  }
  return 'guard';
}

/** Root-level transitions apply in every state: one note on each target says so. */
function rootNotes(root: AnyStateNode, settings: Settings): string[] {
  const byTarget = new Map<string, string[]>();
  for (const t of [...root.transitions.values()].flat()) {
    for (const target of (t.target ?? []) as AnyStateNode[]) {
      const id = idOf(drawn(target, settings));
      byTarget.set(id, [...(byTarget.get(id) ?? []), labelOf(t, settings.guards)]);
    }
  }
  return [...byTarget].map(
    ([id, labels]) => `${pad(1)}note right of ${id} : ${[...new Set(labels)].join(' / ')} from any state`,
  );
}

/** Characters Mermaid reads as syntax inside labels. */
function clean(text: string): string {
  return text.replace(/[#;"{}\n\r]/g, ' ').trim();
}
