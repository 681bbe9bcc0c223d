// What an operator can do from a card: reconnect the server, reset or isolate its breaker, try a
// tool with a form generated from its input schema. Every action is a POST carrying this page's
// session token; its effect arrives like any other change, as runtime events over the SSE stream.
import { formFor, readForm } from './toolForm.js';

const token = document.querySelector('meta[name="azcore-token"]')?.content ?? '';
const schemas = new Map();

async function post(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'x-azcore-token': token, 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  const answer = await response.json().catch(() => ({
    ok: false,
    status: response.status,
    error: { kind: 'request', code: `HTTP_${response.status}`, message: response.statusText },
  }));
  return answer;
}

const part = (name) => encodeURIComponent(name);
const PATHS = {
  reconnect: (server) => `/api/servers/${part(server)}/reconnect`,
  'breaker.reset': (server) => `/api/breakers/${part(server)}/reset`,
  'breaker.isolate': (server) => `/api/breakers/${part(server)}/isolate`,
};

/** Writes an action's typed answer on its card. */
function show(card, action, answer) {
  const out = card.querySelector('.action-result');
  out.hidden = false;
  out.dataset.action = action;
  out.dataset.ok = String(answer.ok === true);
  out.dataset.tone = answer.ok ? (answer.result?.isError ? 'warn' : 'ok') : 'bad';
  const head = document.createElement('strong');
  const detail = document.createElement('pre');
  if (!answer.ok) {
    head.textContent = `${action} refused: ${answer.error?.kind}/${answer.error?.code}`;
    detail.textContent = answer.error?.message ?? '';
  } else if (action === 'tool.call') {
    head.textContent = `${answer.tool}: ${answer.result.isError ? 'tool error' : 'ok'}`;
    const texts = (answer.result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text);
    detail.textContent = texts.length > 0 ? texts.join('\n') : JSON.stringify(answer.result, null, 2);
    if (answer.result.isError) out.dataset.isError = 'true';
    else delete out.dataset.isError;
  } else {
    head.textContent = `${action}: now ${answer.state}`;
    detail.textContent = '';
  }
  out.replaceChildren(head, detail);
}

async function act(card, action, run) {
  const buttons = card.querySelectorAll('button');
  for (const b of buttons) b.disabled = true;
  card.querySelector('.action-result').dataset.pending = action;
  try {
    show(card, action, await run());
  } catch (e) {
    show(card, action, { ok: false, error: { kind: 'request', code: 'NETWORK', message: String(e) } });
  } finally {
    for (const b of buttons) b.disabled = false;
    delete card.querySelector('.action-result').dataset.pending;
  }
}

async function loadTools(card) {
  const server = card.dataset.server;
  const response = await fetch(`/api/servers/${part(server)}/tools`);
  const { tools } = await response.json();
  schemas.set(server, new Map(tools.map((t) => [t.name, t])));
  const select = card.querySelector('.tool-form select');
  const chosen = select.value;
  select.replaceChildren(
    ...tools.map((t) =>
      Object.assign(document.createElement('option'), {
        value: t.name,
        textContent: t.name,
        title: t.description ?? '',
      }),
    ),
  );
  if (tools.some((t) => t.name === chosen)) select.value = chosen;
  drawFields(card);
  card.querySelector('.tool-form').dataset.loaded = 'true';
}

function drawFields(card) {
  const tool = schemas.get(card.dataset.server)?.get(card.querySelector('.tool-form select').value);
  const fields = card.querySelector('.tool-form .fields');
  fields.replaceChildren(...(tool ? formFor(tool.inputSchema) : []));
  card.querySelector('.tool-form .tool-description').textContent = tool?.description ?? '';
}

/** Wires the cards in `container` (present and future) to the actions. */
export function wireActions(container) {
  container.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    const card = button?.closest('[data-server]');
    if (!button || !card) return;
    const action = button.dataset.action;
    act(card, action, () => post(PATHS[action](card.dataset.server)));
  });
  // `toggle` does not bubble: listen in the capture phase.
  container.addEventListener(
    'toggle',
    (event) => {
      const details = event.target;
      if (details.matches?.('details.try') && details.open) loadTools(details.closest('[data-server]'));
    },
    true,
  );
  container.addEventListener('change', (event) => {
    if (event.target.matches('.tool-form select')) drawFields(event.target.closest('[data-server]'));
  });
  container.addEventListener('submit', (event) => {
    const form = event.target.closest('form.tool-form');
    if (!form) return;
    event.preventDefault();
    const card = form.closest('[data-server]');
    const tool = form.querySelector('select').value;
    let args;
    try {
      args = readForm(form.querySelector('.fields'));
    } catch (e) {
      show(card, 'tool.call', {
        ok: false,
        error: { kind: 'request', code: 'BAD_ARGUMENTS', message: e.message },
      });
      return;
    }
    act(card, 'tool.call', () =>
      post(`/api/servers/${part(card.dataset.server)}/tools/${part(tool)}/call`, { arguments: args }),
    );
  });
}
