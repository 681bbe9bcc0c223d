// The XState inspection stream, offline: pick an actor of the team's system, see its current state
// highlighted on its full statechart and the events it received lately. Fed by the SSE stream.
import { toneOf } from './tone.js';

const { mermaid } = window;
const KEEP = 50;
const HIGHLIGHT = { fill: '#fde047', stroke: '#a16207', strokeWidth: '3px' };

let view = { actors: [], events: {}, diagrams: {} };
let selected;
let renderCount = 0;
const charts = new Map();
const $ = (id) => document.getElementById(id);

/** `{ connecting: 'negotiatingEra' }` -> ['connecting', 'connecting_negotiatingEra']: the Mermaid ids of every active state. */
function activeIds(value, prefix = []) {
  if (value === null || value === undefined) return [];
  if (typeof value === 'string') return [[...prefix, value].join('_')];
  return Object.entries(value).flatMap(([key, inner]) => {
    const path = [...prefix, key];
    return [path.join('_'), ...activeIds(inner, path)];
  });
}

/** `{ connecting: 'negotiatingEra' }` -> 'connecting.negotiatingEra' */
function describe(value) {
  if (value === null || value === undefined) return 'unknown';
  if (typeof value === 'string') return value;
  return Object.entries(value)
    .map(([key, inner]) => (typeof inner === 'string' ? `${key}.${inner}` : `${key}.(${describe(inner)})`))
    .join(', ');
}

function topOf(value) {
  return typeof value === 'string' ? value : (Object.keys(value ?? {})[0] ?? '');
}

/** Draws each machine once; an actor switch clones the drawing. */
function chartOf(kind) {
  if (!charts.has(kind)) {
    charts.set(
      kind,
      (async () => {
        const id = `inspect-${kind}-${++renderCount}`;
        const { svg } = await mermaid.render(id, view.diagrams[kind]);
        const holder = document.createElement('div');
        holder.innerHTML = svg;
        const element = holder.querySelector('svg');
        const pattern = new RegExp(`^${id}-state-(.+)-\\d+$`);
        for (const node of element.querySelectorAll('g.node')) {
          const match = pattern.exec(node.id);
          if (match) node.dataset.state = match[1];
        }
        // Composite states are clusters, their Mermaid id as element id.
        for (const cluster of element.querySelectorAll('g.cluster[id]')) cluster.dataset.state = cluster.id;
        return element;
      })(),
    );
  }
  return charts.get(kind);
}

function mark(node, on) {
  node.classList.toggle('current', on);
  const shapes = node.matches('g.cluster')
    ? node.querySelectorAll(':scope > rect')
    : node.querySelectorAll('rect, path, polygon');
  for (const shape of shapes) {
    for (const [property, value] of Object.entries(HIGHLIGHT)) {
      if (node.matches('g.cluster') && property === 'fill') continue;
      shape.style[property] = on ? value : '';
    }
  }
}

async function drawActor() {
  const actor = view.actors.find((a) => a.id === selected);
  const figure = $('inspect-diagram');
  const badge = $('inspect-state');
  if (!actor) return;
  badge.textContent = describe(actor.value);
  badge.dataset.state = topOf(actor.value);
  badge.dataset.tone = toneOf(topOf(actor.value));
  const wanted = `${actor.id} ${JSON.stringify(actor.value)}`;
  figure.dataset.wanted = wanted;
  const drawing = await chartOf(actor.machine).catch((e) => {
    console.error(`cannot draw the ${actor.machine} statechart`, e);
    return undefined;
  });
  if (!drawing || figure.dataset.wanted !== wanted) return;
  let svg = figure.querySelector('svg');
  if (figure.dataset.machine !== actor.machine || !svg) {
    svg = drawing.cloneNode(true);
    figure.querySelector('.svg').replaceChildren(svg);
    figure.dataset.machine = actor.machine;
  }
  for (const node of svg.querySelectorAll('.current')) mark(node, false);
  const ids = activeIds(actor.value);
  for (const id of ids) {
    for (const node of svg.querySelectorAll(`[data-state="${CSS.escape(id)}"]`)) mark(node, true);
  }
  figure.dataset.actor = actor.id;
  figure.dataset.rendered = ids.join(' ');
}

function eventItem(e) {
  const li = document.createElement('li');
  li.dataset.type = e.type;
  const time = document.createElement('time');
  time.dateTime = new Date(e.at).toISOString();
  time.textContent = new Date(e.at).toLocaleTimeString();
  const from = document.createElement('span');
  from.textContent = e.from ? `from ${e.from}` : '';
  const detail = document.createElement('span');
  detail.textContent = e.detail ? `${e.type} ${e.detail}` : e.type;
  li.append(time, from, detail);
  return li;
}

function drawEvents() {
  const events = view.events[selected] ?? [];
  $('inspect-events').replaceChildren(...events.slice(-KEEP).reverse().map(eventItem));
}

function drawPicker() {
  const select = $('inspect-actor');
  const ids = view.actors.map((a) => a.id);
  if ([...select.options].map((o) => o.value).join('\n') === ids.join('\n')) return;
  select.replaceChildren(
    ...ids.map((id) => Object.assign(document.createElement('option'), { value: id, textContent: id })),
  );
  if (!ids.includes(selected)) selected = ids.find((id) => id.startsWith('server:')) ?? ids[0];
  select.value = selected;
}

/** Draws the panel from a snapshot's inspection view (hidden when the team has none). */
export function initInspector(inspection) {
  const panel = $('inspector');
  panel.hidden = !inspection;
  if (!inspection) return;
  view = inspection;
  charts.clear();
  drawPicker();
  const select = $('inspect-actor');
  select.onchange = () => {
    selected = select.value;
    drawEvents();
    drawActor();
  };
  drawEvents();
  drawActor();
  panel.dataset.ready = 'true';
}

/** One change from the stream: a new state value or an event an actor received. */
export function onInspection(message) {
  let actor = view.actors.find((a) => a.id === message.actor);
  if (!actor) {
    actor = { id: message.actor, machine: message.machine, value: message.value ?? null };
    view.actors.push(actor);
    view.events[actor.id] = [];
    drawPicker();
  }
  if ('value' in message) actor.value = message.value;
  if (message.event) {
    view.events[actor.id] ??= [];
    const list = view.events[actor.id];
    list.push(message.event);
    if (list.length > KEEP) list.shift();
    if (actor.id === selected) {
      const ol = $('inspect-events');
      ol.prepend(eventItem(message.event));
      while (ol.childElementCount > KEEP) ol.lastElementChild.remove();
    }
  }
  if (actor.id === selected && 'value' in message) drawActor();
}
