import { toneOf } from './tone.js';

const KEEP = 300;

function describe(e) {
  switch (e.type) {
    case 'connection.state':
      return [`${e.from} → ${e.to}${e.reason ? `: ${e.reason.message}` : ''}`, e.reason ? toneOf(e.to) : ''];
    case 'breaker.transition':
      return [`breaker ${e.from} → ${e.to}`, toneOf(e.to)];
    case 'call.started':
      return [`${e.tool} #${e.callId} started (attempt ${e.attempt})`, ''];
    case 'call.succeeded':
      return [
        `${e.tool} #${e.callId} ${e.isError ? 'tool error' : 'ok'} in ${Math.round(e.durationMs)} ms`,
        e.isError ? 'warn' : '',
      ];
    case 'call.failed':
      return [
        `${e.tool} #${e.callId} failed in ${Math.round(e.durationMs)} ms: ${e.error.kind}/${e.error.code}`,
        'bad',
      ];
    case 'call.retried':
      return [`${e.tool} #${e.callId} retry in ${Math.round(e.delayMs)} ms after ${e.error.code}`, 'warn'];
    case 'call.rejected':
      return [`${e.tool} #${e.callId} rejected: ${e.error.code}`, 'bad'];
    case 'server.ping':
      return [`ping ${e.ok ? 'ok' : 'failed'} in ${Math.round(e.durationMs)} ms`, e.ok ? '' : 'warn'];
    case 'server.stderr':
      return [`stderr: ${e.line}`, ''];
    case 'tools.changed':
      return [`${e.tools} tools`, ''];
    case 'team.state':
      return [`team ${e.from} → ${e.to}`, toneOf(e.to) === 'ok' ? '' : toneOf(e.to)];
    case 'health.checked':
      return [`health ${e.status} (was ${e.previous})`, toneOf(e.status) === 'ok' ? '' : toneOf(e.status)];
    case 'operation.completed':
      return [
        `${e.operation} ${e.ok ? 'ok' : 'failed'} in ${Math.round(e.durationMs)} ms`,
        e.ok ? '' : 'bad',
      ];
    default:
      return [e.type, ''];
  }
}

function item(e) {
  const [text, tone] = describe(e);
  const li = document.createElement('li');
  li.dataset.type = e.type;
  if (tone) li.dataset.tone = tone;
  const time = document.createElement('time');
  time.dateTime = new Date(e.at).toISOString();
  time.textContent = new Date(e.at).toLocaleTimeString();
  const source = document.createElement('span');
  source.textContent = e.source;
  const detail = document.createElement('span');
  detail.textContent = `${e.type}: ${text}`;
  li.append(time, source, detail);
  return li;
}

/** Replaces the log with `events` (oldest first in, newest first shown). */
export function renderLog(list, events) {
  list.replaceChildren(...events.slice(-KEEP).reverse().map(item));
}

/** Adds one event at the top of the log. */
export function appendEvent(list, e) {
  list.prepend(item(e));
  while (list.childElementCount > KEEP) list.lastElementChild.remove();
}

/** Shows the health verdict in the header badge and the health panel. */
export function renderHealth(badge, checksList, stamp, health) {
  badge.textContent = `health: ${health.status}`;
  badge.dataset.health = health.status;
  badge.dataset.tone = toneOf(health.status);
  stamp.textContent = health.at ? `checked ${new Date(health.at).toLocaleTimeString()}` : 'not checked yet';
  checksList.replaceChildren();
  for (const [name, check] of Object.entries(health.checks)) {
    const dt = document.createElement('dt');
    dt.textContent = `${name}: ${check.status}`;
    dt.dataset.tone = { pass: 'ok', warn: 'warn', fail: 'bad' }[check.status];
    const dd = document.createElement('dd');
    dd.textContent = check.detail;
    checksList.append(dt, dd);
  }
}
