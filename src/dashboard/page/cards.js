import { toneOf } from './tone.js';

const { mermaid } = window;
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', theme: 'neutral' });

let renderCount = 0;
let templates = Promise.resolve({});

/**
 * Draws the statecharts once (Mermaid text from the server); every card shows a copy and
 * highlights its current state by class, so a state change costs no re-layout.
 */
export function setDiagrams(diagrams) {
  templates = renderTemplates(diagrams);
}

async function renderTemplates(diagrams) {
  const out = {};
  for (const [key, text] of Object.entries(diagrams)) {
    const id = `diagram-${key}-${++renderCount}`;
    try {
      const { svg } = await mermaid.render(id, text);
      const holder = document.createElement('div');
      holder.innerHTML = svg;
      const element = holder.querySelector('svg');
      const pattern = new RegExp(`^${id}-state-(.+)-\\d+$`);
      for (const node of element.querySelectorAll('g.node')) {
        const match = pattern.exec(node.id);
        if (match) node.dataset.state = match[1];
      }
      out[key] = element;
    } catch (e) {
      console.error(`cannot draw the ${key} statechart`, e);
    }
  }
  return out;
}

/** Replaces every card. */
export function renderServers(container, servers) {
  container.replaceChildren();
  for (const server of servers) upsertServer(container, server);
}

/** Writes each server's call totals on its card. */
export function renderStats(container, stats) {
  for (const [name, s] of Object.entries(stats)) {
    const line = container.querySelector(`[data-server="${CSS.escape(name)}"] .stats`);
    if (!line) continue;
    const parts = [`${s.calls} calls`];
    if (s.calls > 0) parts.push(`${Math.round(s.successRate * 100)}% ok`);
    if (s.rejected > 0) parts.push(`${s.rejected} rejected`);
    if (s.retries > 0) parts.push(`${s.retries} retries`);
    if (s.p95 !== null) parts.push(`p95 ${Math.round(s.p95)} ms`);
    if (s.reconnects > 0) parts.push(`${s.reconnects} reconnects`);
    if (s.breakerOpenings > 0) parts.push(`breaker opened ${s.breakerOpenings}×`);
    line.textContent = parts.join(' · ');
    line.dataset.calls = String(s.calls);
  }
}

/** Updates the card of one server, creating it if needed. */
export function upsertServer(container, view) {
  let card = container.querySelector(`[data-server="${CSS.escape(view.name)}"]`);
  if (!card) {
    card = createCard(view.name);
    container.append(card);
  }
  card.dataset.connectionState = view.state;
  card.dataset.breakerState = view.breaker;
  card.dataset.available = String(view.available);
  card.dataset.tone = view.available ? toneOf(view.state) : view.state === 'ready' ? 'warn' : 'bad';
  card.dataset.needsLogin = String(view.needsLogin === true);
  // `authorizing` means a person has to log in: say so in those words.
  badge(card.querySelector('.conn'), view.needsLogin ? 'needs login' : view.state, view.state);
  renderCredential(card.querySelector('.auth'), view);
  badge(card.querySelector('.brk'), `breaker ${view.breaker}`, view.breaker);
  card.querySelector('.opt').hidden = !view.optional;
  // The count is what the team offers now, read where the health check counts it.
  const offered = new Set(view.offered);
  const list = card.querySelector('.tools ul');
  list.replaceChildren(
    ...view.tools.map((name) => {
      const li = Object.assign(document.createElement('li'), { textContent: name });
      if (!offered.has(name)) li.className = 'not-offered';
      return li;
    }),
  );
  const summary = card.querySelector('.tools summary');
  summary.textContent =
    view.offered.length === view.tools.length
      ? `${view.offered.length} tools`
      : `${view.offered.length} of ${view.tools.length} tools offered`;
  summary.dataset.offered = String(view.offered.length);
  const error = view.lastError;
  card.querySelector('.last-error').textContent = error
    ? `${error.kind}/${error.code}: ${error.message}`
    : '';
  draw(card.querySelector('figure.connection'), 'connection', view.state);
  draw(card.querySelector('figure.breaker'), 'breaker', view.breaker);
}

/** The OAuth line of a card: the login to run, the credential's state and expiry (never a token). */
function renderCredential(line, view) {
  const parts = [];
  if (view.needsLogin) parts.push(`needs login: run ${view.loginCommand}`);
  const credential = view.credential;
  if (credential) {
    let text = `credential ${credential.state}`;
    if (credential.expiresAt !== undefined) {
      const at = new Date(credential.expiresAt);
      text += `${credential.expiresAt > Date.now() ? ', expires' : ', expired'} ${at.toLocaleTimeString()}`;
    }
    if (credential.login === 'awaitingUser') text += ' · waiting for a person to approve the login';
    parts.push(text);
  }
  line.hidden = parts.length === 0;
  line.textContent = parts.join(' · ');
  line.dataset.credential = credential?.state ?? '';
}

function badge(element, text, state) {
  element.textContent = text;
  element.dataset.tone = toneOf(state);
}

function createCard(name) {
  const card = document.createElement('article');
  card.className = 'card';
  card.dataset.server = name;
  card.innerHTML = `
    <header>
      <h2></h2>
      <span class="badge conn" title="connection state"></span>
      <span class="badge brk" title="circuit breaker state"></span>
      <span class="badge opt" hidden>optional</span>
    </header>
    <div class="diagrams">
      <figure class="diagram connection"><figcaption>connection</figcaption><div class="svg"></div></figure>
      <figure class="diagram breaker"><figcaption>circuit breaker</figcaption><div class="svg"></div></figure>
    </div>
    <p class="auth" hidden></p>
    <p class="stats muted">no calls yet</p>
    <details class="tools"><summary></summary><ul></ul></details>
    <p class="last-error"></p>
    <div class="actions">
      <button type="button" data-action="reconnect" title="drop the connection and connect again now">Reconnect</button>
      <button type="button" data-action="breaker.reset" title="close the breaker and forget its counts">Reset breaker</button>
      <button type="button" data-action="breaker.isolate" title="hold the breaker open until reset">Isolate breaker</button>
    </div>
    <details class="try">
      <summary>Try a tool</summary>
      <form class="tool-form">
        <label>tool <select name="tool"></select></label>
        <p class="tool-description muted"></p>
        <div class="fields"></div>
        <button type="submit">Call</button>
      </form>
    </details>
    <output class="action-result" hidden></output>`;
  card.querySelector('h2').textContent = name;
  return card;
}

// Inline styles: Mermaid styles nodes with id selectors, which no class rule of ours outranks.
const HIGHLIGHT = { fill: '#fde047', stroke: '#a16207', strokeWidth: '3px' };

function mark(node, on) {
  node.classList.toggle('current', on);
  for (const shape of node.querySelectorAll('rect, path, polygon')) {
    for (const [property, value] of Object.entries(HIGHLIGHT)) shape.style[property] = on ? value : '';
  }
}

/** Shows the statechart `key` in the figure with `state` highlighted. */
function draw(figure, key, state) {
  figure.dataset.wanted = state;
  templates.then((drawn) => {
    if (figure.dataset.wanted !== state || !drawn[key]) return;
    let svg = figure.querySelector('svg');
    if (!svg) {
      svg = drawn[key].cloneNode(true);
      figure.querySelector('.svg').append(svg);
    }
    for (const node of svg.querySelectorAll('g.node.current')) mark(node, false);
    // A top-level state, else a nested one drawn by its path (`ready` is `connected_health_ready`).
    const node =
      svg.querySelector(`g.node[data-state="${CSS.escape(state)}"]`) ??
      svg.querySelector(`g.node[data-state$="_${CSS.escape(state)}"]`);
    if (node) mark(node, true);
    figure.dataset.rendered = state;
  });
}
