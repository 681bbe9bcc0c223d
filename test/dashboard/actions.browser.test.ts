import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { filter, firstValueFrom, ReplaySubject, type Subscription } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DashboardServer, serveDashboard } from '../../src/dashboard/serveDashboard.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { type HttpFixture, startHttpFixture, stdioFixture, stopAllFixtures } from '../fixtures/index.js';
import { launchChromium, openWatchedPage } from './chromium.js';

const root = new URL('../../', import.meta.url).pathname;
const OUTPUT = join(root, 'test-results', 'dashboard');

let web: HttpFixture;
let team: MCPTeam;
let dashboard: DashboardServer;
let browser: Browser;
let page: Page;
/** Every runtime event since the team was built, so a test can wait for one that already happened. */
let recorded: ReplaySubject<RuntimeEvent>;
let recording: Subscription;
let pageErrors: string[] = [];

beforeAll(async () => {
  web = await startHttpFixture();
  const local = stdioFixture();
  team = await new MCPTeamBuilder('operate')
    .withLlm(new ScriptedChatModel([{ content: 'done' }]))
    .withLogger(quietLogger)
    .withMcpServerHttp(web.url.href, { name: 'web' })
    .withMcpServer(local.command, local.args, { name: 'local' })
    // One failure opens a breaker, which then stays open for a minute: what a test sees, it sees for long.
    .withCircuitBreaker({ strategy: { kind: 'consecutive', threshold: 1 }, resetTimeoutMs: 60_000 })
    .withReconnect({ backoffBaseMs: 200, backoffMaxMs: 400, maxRestarts: 1_000 })
    .withRetry({ maxAttempts: 1 })
    .build();
  recorded = new ReplaySubject<RuntimeEvent>();
  recording = team.events$.subscribe(recorded);
  // Health is checked on every change only: a verdict on the page came from the event, not a timer.
  dashboard = await serveDashboard(team, { port: 0, healthIntervalMs: 600_000 });
  browser = await launchChromium();
  // A refused action is an answer the test asked for; Chromium logs its status all the same.
  ({ page, errors: pageErrors } = await openWatchedPage(browser, {
    viewport: { width: 1400, height: 1100 },
    ignore: (text) => text.startsWith('Failed to load resource'),
  }));
  // A wait that fails names its selector before the test's own timeout hides it.
  page.setDefaultTimeout(15_000);
  await page.goto(dashboard.url.href);
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForSelector('#live[data-live="open"]');
}, 60_000);

afterAll(async () => {
  recording?.unsubscribe();
  await browser?.close();
  await dashboard?.close();
  await team?.cleanup();
  await stopAllFixtures();
});

/** The next runtime event (recorded from the start) that `match` accepts. */
function seen<T extends RuntimeEvent>(match: (e: RuntimeEvent) => e is T): Promise<T>;
function seen(match: (e: RuntimeEvent) => boolean): Promise<RuntimeEvent>;
function seen(match: (e: RuntimeEvent) => boolean): Promise<RuntimeEvent> {
  return firstValueFrom(recorded.pipe(filter(match)));
}

const card = (server: string) => `[data-server="${server}"]`;
const result = (server: string, action: string, ok: boolean) =>
  `${card(server)} .action-result[data-action="${action}"][data-ok="${ok}"]:not([data-pending])`;

async function openToolForm(server: string, tool: string): Promise<void> {
  const details = page.locator(`${card(server)} details.try`);
  if (!(await details.evaluate((d) => (d as unknown as { open: boolean }).open))) {
    await page.click(`${card(server)} details.try > summary`);
  }
  await page.waitForSelector(`${card(server)} .tool-form[data-loaded="true"] option[value="${tool}"]`, {
    state: 'attached',
  });
  await page.selectOption(`${card(server)} .tool-form select`, tool);
}

// Run in the page (this file is typed without the DOM library, hence strings).
const healthCounts = (n: number) =>
  page.waitForFunction(
    `document.querySelector('#health-checks')?.textContent?.includes('${n} MCP tools offered')`,
  );
const cardsCount = (n: number) =>
  page.waitForFunction(
    `[...document.querySelectorAll('.tools summary')].reduce((sum, s) => sum + Number(s.dataset.offered), 0) === ${n}`,
  );

/** Sum of the tool counts on the cards, and the tool count of the latest health verdict. */
async function toolCounts(): Promise<{ cards: number; health: number | undefined }> {
  const counts = await page
    .locator('.tools summary')
    .evaluateAll((nodes) =>
      nodes.map((n) => Number((n as unknown as { dataset: { offered: string } }).dataset.offered)),
    );
  return {
    cards: counts.reduce((a, b) => a + b, 0),
    health: dashboard.model.snapshot().health.checks.tools?.count,
  };
}

describe('acting from the dashboard (headless Chromium)', () => {
  it('refuses a POST without the page token (401) or with a wrong one (403), and the runtime sees nothing', async () => {
    const before = team.getServer('web')!.state;
    const statuses = await page.evaluate(async () => {
      const post = (headers: Record<string, string>) =>
        fetch('/api/servers/web/reconnect', { method: 'POST', headers }).then((r) => r.status);
      return [await post({}), await post({ 'x-azcore-token': 'not-the-token' })];
    });
    expect(statuses).toEqual([401, 403]);
    expect(team.getServer('web')!.state).toBe(before);
    expect(team.getServer('web')!.state).toBe('ready');
  });

  it('calls a tool from a form generated from its input schema, through the runtime (events, breaker)', async () => {
    await openToolForm('local', 'add');
    // Two number fields, both required, from the schema { a: number, b: number }.
    expect(await page.locator(`${card('local')} .fields input[type="number"][required]`).count()).toBe(2);
    await page.fill(`${card('local')} .fields input[name="a"]`, '2');
    await page.fill(`${card('local')} .fields input[name="b"]`, '40');
    const succeeded = seen((e) => e.type === 'call.succeeded' && e.server === 'local' && e.tool === 'add');
    await page.click(`${card('local')} .tool-form button[type="submit"]`);
    await page.waitForSelector(`${result('local', 'tool.call', true)}:has-text("42")`);
    expect(await succeeded).toMatchObject({ isError: false, attempt: 1 });
    await seen((e) => e.type === 'call.started' && e.server === 'local' && e.tool === 'add');
    await page.waitForSelector(`#log li[data-type="call.succeeded"]`);

    // A tool that adds a tool: the server says its list changed, and the card's count follows,
    // agreeing with the health check's count.
    const before = await toolCounts();
    await openToolForm('local', 'add_tool');
    await page.fill(`${card('local')} .fields input[name="name"]`, 'added_from_the_page');
    const changed = seen((e) => e.type === 'tools.changed' && e.server === 'local');
    await page.click(`${card('local')} .tool-form button[type="submit"]`);
    await changed;
    await page.waitForSelector(`${card('local')} .tools li:text-is("added_from_the_page")`, {
      state: 'attached',
    });
    await healthCounts(before.cards + 1);
    expect(await toolCounts()).toEqual({ cards: before.cards + 1, health: before.cards + 1 });
    expect(pageErrors).toEqual([]);
  }, 30_000);

  it('reconnects a server: the runtime goes connecting -> ready, the card comes back with every tool and agrees with health', async () => {
    const tools = (await toolCounts()).cards;
    const connecting = seen(
      (e) =>
        e.type === 'connection.state' && e.server === 'web' && e.from === 'ready' && e.to === 'connecting',
    );
    const ready = connecting.then(() =>
      seen(
        (e) =>
          e.type === 'connection.state' && e.server === 'web' && e.to === 'ready' && e.from === 'connecting',
      ),
    );
    await page.click(`${card('web')} button[data-action="reconnect"]`);
    await page.waitForSelector(`${result('web', 'reconnect', true)}`);
    await connecting;
    await ready;
    await page.waitForSelector(`${card('web')}[data-connection-state="ready"]`);
    // Not "ready, 0 tools": the card waits for the tool list, and so does the health verdict.
    await healthCounts(tools);
    await cardsCount(tools);
    expect(await toolCounts()).toEqual({ cards: tools, health: tools });
    await page.waitForSelector('#health[data-health="healthy"]');
  }, 30_000);

  it('isolates and resets a breaker: the runtime rejects calls meanwhile, the page shows it and the inspector draws it', async () => {
    const isolated = seen(
      (e) => e.type === 'breaker.transition' && e.breaker === 'web' && e.to === 'isolated',
    );
    await page.click(`${card('web')} button[data-action="breaker.isolate"]`);
    await page.waitForSelector(`${result('web', 'breaker.isolate', true)}:has-text("now isolated")`);
    expect(await isolated).toMatchObject({ from: 'closed' });
    expect(team.getServer('web')!.breaker.state).toBe('isolated');
    await page.waitForSelector(`${card('web')}[data-breaker-state="isolated"][data-available="false"]`);
    // One verdict in the header, the health checker's.
    await page.waitForSelector('#health[data-health="unhealthy"]');
    expect(await page.locator('#team-state').textContent()).not.toMatch(/degraded|ready/);

    // A call tried now is refused by the breaker, as the runtime reports it.
    await openToolForm('web', 'echo');
    await page.fill(`${card('web')} .fields input[name="text"]`, 'anyone there?');
    const rejected = seen((e) => e.type === 'call.rejected' && e.server === 'web');
    await page.click(`${card('web')} .tool-form button[type="submit"]`);
    await page.waitForSelector(`${result('web', 'tool.call', false)}:has-text("circuitOpen/CIRCUIT_OPEN")`);
    expect(await rejected).toMatchObject({ tool: 'echo', error: { code: 'CIRCUIT_OPEN' } });

    // The inspector: the breaker actor, its state highlighted, the ISOLATE event it received.
    await page.selectOption('#inspect-actor', 'breaker:web');
    await page.waitForSelector(
      '#inspect-diagram[data-actor="breaker:web"] g.node.current[data-state="isolated"]',
    );
    await page.waitForSelector('#inspect-events li[data-type="ISOLATE"]');
    expect(await page.locator('#inspect-state').getAttribute('data-state')).toBe('isolated');
    mkdirSync(OUTPUT, { recursive: true });
    const shot = join(OUTPUT, 'dashboard-actions.png');
    await page.screenshot({ path: shot, fullPage: true });
    if (process.env.AZCORE_UPDATE_DOCS === '1')
      copyFileSync(shot, join(root, 'docs', 'dashboard-actions.png'));

    const closed = seen((e) => e.type === 'breaker.transition' && e.breaker === 'web' && e.to === 'closed');
    await page.click(`${card('web')} button[data-action="breaker.reset"]`);
    await page.waitForSelector(`${result('web', 'breaker.reset', true)}:has-text("now closed")`);
    expect(await closed).toMatchObject({ from: 'isolated' });
    await page.waitForSelector(`${card('web')}[data-breaker-state="closed"][data-available="true"]`);
    await page.waitForSelector(
      '#inspect-diagram[data-actor="breaker:web"] g.node.current[data-state="closed"]',
    );
    await page.waitForSelector('#inspect-events li[data-type="RESET"]');
    await page.waitForSelector('#health[data-health="healthy"]');
    // The same call now goes through.
    await page.click(`${card('web')} .tool-form button[type="submit"]`);
    await page.waitForSelector(`${result('web', 'tool.call', true)}:has-text("anyone there")`);
    expect(pageErrors).toEqual([]);
  }, 30_000);

  it('shows the connection actor of a server on its full statechart, nested state included', async () => {
    await page.selectOption('#inspect-actor', 'server:web');
    const value = team.getServer('web')!.actor.getSnapshot().value;
    expect(value).toMatchObject({ connected: { health: 'ready', keepalive: expect.any(String) } });
    await page.waitForSelector(
      '#inspect-diagram[data-actor="server:web"] g.node.current[data-state="connected_health_ready"]',
    );
    await page.waitForSelector('#inspect-events li[data-type="RECONNECT"]', { state: 'attached' });
    await page.selectOption('#inspect-actor', 'team:operate');
    await page.waitForSelector(
      '#inspect-diagram[data-actor="team:operate"] [data-state="active_availability_ready"].current',
    );
  });

  it('pushes a failure the moment the runtime sees it: a dead server moves its card and the health verdict with no call', async () => {
    const since: RuntimeEvent[] = [];
    const watching = team.events$.subscribe((e) => since.push(e));
    await web.kill();
    // Nobody calls: the server's dropped event stream makes the runtime probe it at once, and the
    // page follows the events (no keepalive period, no polling).
    await page.waitForSelector(
      `${card('web')}[data-connection-state="reconnecting"], ${card('web')}[data-connection-state="connecting"]`,
    );
    await page.waitForSelector(`${card('web')}[data-available="false"]`);
    await page.waitForSelector('#health:not([data-health="healthy"])');
    watching.unsubscribe();
    // What the page showed is what the runtime said.
    expect(since.some((e) => e.type === 'call.started')).toBe(false);
    expect(since.find((e) => e.type === 'connection.state' && e.server === 'web')).toMatchObject({
      from: 'ready',
      to: 'degraded',
    });
    const pings = since.flatMap((e) => (e.type === 'server.ping' && e.server === 'web' ? [e] : []));
    expect(pings.length).toBeGreaterThan(0);
    expect(pings.every((e) => !e.ok)).toBe(true);
    const verdict = await page.getAttribute('#health', 'data-health');
    expect(verdict).toBe(dashboard.model.snapshot().health.status);
    await web.restart();
  }, 30_000);
});
