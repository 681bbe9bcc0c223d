// The dashboard page: one EventSource delivers a snapshot, then every change (no polling).
import { wireActions } from './actions.js';
import { renderServers, renderStats, setDiagrams, upsertServer } from './cards.js';
import { addSample, initCharts } from './charts.js';
import { initInspector, onInspection } from './inspector.js';
import { appendEvent, renderHealth, renderLog } from './log.js';

const $ = (id) => document.getElementById(id);
const servers = $('servers');
const log = $('log');
wireActions(servers);

// The header's verdict is the health checker's (#health): the team badge says only what the team
// is doing, never a second opinion on its health (its ready/degraded are both "idle" here).
const ACTIVITY = { ready: 'idle', degraded: 'idle' };

function showTeam(team) {
  $('team-name').textContent = team.name;
  const state = $('team-state');
  const activity = ACTIVITY[team.state] ?? team.state;
  state.textContent = `team ${activity}`;
  state.dataset.state = team.state;
  state.dataset.tone = team.state === 'buildFailed' ? 'bad' : 'info';
}

function showHealth(health) {
  renderHealth($('health'), $('health-checks'), $('health-at'), health);
}

function setLive(state, text) {
  const live = $('live');
  live.dataset.live = state;
  live.dataset.tone = state === 'open' ? 'ok' : 'warn';
  live.textContent = text;
}

const source = new EventSource('/api/events');
const on = (type, handler) => source.addEventListener(type, (message) => handler(JSON.parse(message.data)));

on('snapshot', (snapshot) => {
  setDiagrams(snapshot.diagrams);
  showTeam(snapshot.team);
  renderServers(servers, snapshot.servers);
  renderStats(servers, snapshot.stats);
  renderLog(log, snapshot.events);
  initCharts(snapshot.samples);
  showHealth(snapshot.health);
  initInspector(snapshot.inspection);
  document.body.dataset.ready = 'true';
});
on('server', (view) => upsertServer(servers, view));
on('event', (event) => appendEvent(log, event));
on('sample', addSample);
on('stats', (stats) => renderStats(servers, stats));
on('health', showHealth);
on('team', showTeam);
on('inspection', onInspection);
source.addEventListener('open', () => setLive('open', 'live'));
source.addEventListener('error', () => setLive('reconnecting', 'reconnecting…'));
